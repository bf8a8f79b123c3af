"""JSON API for locations and products."""

from __future__ import annotations

from flask import current_app, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint

from app.catalog import images, importer, schemas, services
from app.errors import DomainError
from app.jobs import services as jobs
from app.staff.auth import require_api_role
from app.transaction import writes

api = Blueprint("catalog_api", __name__, url_prefix="/api/v1", description="Locations and products")


@api.route("/locations")
class Locations(MethodView):
    @api.arguments(schemas.LocationArgs(), location="query")
    @api.response(200, schemas.LocationPage)
    @require_api_role("clerk", scope="catalog:read")
    def get(self, args):
        """List stores and warehouses."""
        items, cursor = services.list_locations(args["kind"], args["cursor"], args["limit"])
        return {"items": items, "next_cursor": cursor}

    @writes
    @api.arguments(schemas.LocationIn())
    @api.response(201, schemas.LocationOut)
    @require_api_role("admin", scope="catalog:write")
    def post(self, body):
        """Add a store or a warehouse."""
        location = services.create_location(**body)
        return location


@api.route("/locations/<code>")
class LocationByCode(MethodView):
    @api.response(200, schemas.LocationOut)
    @require_api_role("clerk", scope="catalog:read")
    def get(self, code):
        """One location by its code."""
        return services.get_location(code)


@api.route("/products")
class Products(MethodView):
    @api.arguments(schemas.ProductArgs(), location="query")
    @api.response(200, schemas.ProductPage)
    @require_api_role("clerk", scope="catalog:read")
    def get(self, args):
        """List products."""
        items, cursor = services.list_products(
            args["category"], args["q"], args["active"], args["cursor"], args["limit"]
        )
        return {"items": items, "next_cursor": cursor}

    @writes
    @api.arguments(schemas.ProductIn())
    @api.response(201, schemas.ProductOut)
    @require_api_role("admin", scope="catalog:write")
    def post(self, body):
        """Add a product; it gets a shelf label at every location."""
        fields = schemas.product_fields(body, current_app.config["DEFAULT_CURRENCY"])
        product = services.create_product(body["sku"], **fields)
        return product


@api.route("/products/<sku>")
class ProductBySku(MethodView):
    @api.response(200, schemas.ProductOut)
    @require_api_role("clerk", scope="catalog:read")
    def get(self, sku):
        """One product by SKU."""
        return services.get_product(sku)

    @writes
    @api.arguments(schemas.ProductPatch())
    @api.response(200, schemas.ProductOut)
    @require_api_role("admin", scope="catalog:write")
    def patch(self, body, sku):
        """Change a product. A new price puts its labels on the reprint list."""
        product = services.get_product(sku)
        fields = schemas.product_fields(body, product.currency)
        services.update_product(product, **fields)
        return product


@api.route("/products/<sku>/image", methods=["PUT"])
@writes
@api.response(200, schemas.ProductOut)
@api.doc(
    requestBody={
        "description": "The image bytes (PNG, JPEG or WebP, at most 5 MB), or a multipart field ``file``.",
        "content": {
            **{kind: {"schema": {"type": "string", "format": "binary"}} for kind in images.CONTENT_TYPES},
            "multipart/form-data": {
                "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
            },
        },
    }
)
@require_api_role("admin", scope="catalog:write")
def put_product_image(sku):
    """Upload a product's image; it is checked, re-encoded and served from ``/images/``."""
    product = services.get_product(sku)
    if request.content_length is not None and request.content_length > images.MAX_IMAGE_BYTES + 64 * 1024:
        raise DomainError("image_too_large", "An image may be at most 5 MB.", status=413)
    if "file" in request.files:
        upload = request.files["file"]
        data, content_type = upload.stream.read(images.MAX_IMAGE_BYTES + 1), upload.mimetype
    else:
        data, content_type = request.get_data(), request.mimetype
    if not data:
        raise DomainError("empty_file", "Send the image as the body or as the 'file' field.", status=400)
    services.update_product(product, image=images.store_image(data, content_type))
    return product


@api.route("/products/import", methods=["POST"])
@writes
@api.arguments(schemas.ImportArgs(), location="query")
@api.response(200, importer.ImportResult)
@api.alt_response(202, schema=jobs.JobOut, description="A large file: imported in the background.")
@require_api_role("admin", scope="catalog:write")
def import_products(args):
    """Import products from CSV (multipart field ``file`` or a text/csv body).

    With mode=all nothing is written when any row is bad (422 with per-line errors).
    """
    data = request.files["file"].read() if "file" in request.files else request.get_data()
    if not data:
        raise DomainError("empty_file", "Send a CSV file as the 'file' field or as the body.", status=400)
    text = importer.decode(data)
    rows = importer.count_rows(text)
    if rows > current_app.config["IMPORT_SYNC_LIMIT"]:
        job = importer.start_import_job(text, args["mode"])
        response = jsonify(jobs.job_json(job))
        response.status_code = 202
        response.headers["Location"] = response.json["status_url"]
        return response
    result = importer.import_csv(text, args["mode"])
    if result["errors"] and args["mode"] == "all":
        raise DomainError(
            "invalid_rows", f"{len(result['errors'])} row(s) are not valid; nothing was imported.", details=result
        )
    return result


@api.route("/products/export.csv")
@api.response(200, description="CSV of every product.", content_type="text/csv")
@require_api_role("clerk", scope="catalog:read")
def export_products():
    """Every product as CSV, in the same columns the import reads."""
    return importer.export_response()
