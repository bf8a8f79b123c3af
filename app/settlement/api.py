"""JSON API for merchants, commission rates, their products, statements and payout files (admins)."""

from __future__ import annotations

from flask import Response, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from app.jobs import services as jobs
from app.settlement import merchants, schemas, services, statements
from app.staff.auth import require_api_role
from app.transaction import writes

api = Blueprint(
    "settlement_api", __name__, url_prefix="/api/v1", description="Concession merchants, commission and settlement"
)


@api.route("/merchants")
class Merchants(MethodView):
    @api.response(200, schemas.MerchantList)
    @require_api_role("admin")
    def get(self):
        """List concession merchants."""
        return {"items": merchants.list_merchants()}

    @writes
    @api.arguments(schemas.MerchantIn())
    @api.response(201, schemas.MerchantOut)
    @require_api_role("admin")
    def post(self, body):
        """Add a merchant (settled T+1 unless ``settlement_days`` says otherwise), with its general rate."""
        rate = body.pop("commission_rate")
        merchant = merchants.create_merchant(**body)
        if rate is not None:
            merchants.set_rate(merchant, rate)
        return merchant


@api.route("/merchants/<int:merchant_id>")
@api.response(200, schemas.MerchantOut)
@require_api_role("admin")
def get_merchant(merchant_id: int):
    """One merchant."""
    return merchants.get_merchant(merchant_id)


@api.route("/merchants/<int:merchant_id>/rates")
class Rates(MethodView):
    @api.response(200, schemas.RateList)
    @require_api_role("admin")
    def get(self, merchant_id: int):
        """A merchant's commission rates, past and future (each holds until the next of its category)."""
        return {"items": merchants.rates_of(merchants.get_merchant(merchant_id).id)}

    @writes
    @api.arguments(schemas.RateIn())
    @api.response(201, schemas.RateOut)
    @require_api_role("admin")
    def post(self, body, merchant_id: int):
        """A new rate from now (or a later moment) on, general or for one category; past sales keep theirs."""
        return merchants.set_rate(
            merchants.get_merchant(merchant_id), body["rate"], body["category"], body["effective_from"]
        )


@api.route("/merchants/<int:merchant_id>/products")
class MerchantProducts(MethodView):
    @api.response(200, schemas.ProductList)
    @require_api_role("admin")
    def get(self, merchant_id: int):
        """The merchant's products."""
        return {"items": merchants.products_of(merchants.get_merchant(merchant_id).id)}

    @writes
    @api.arguments(schemas.ProductsIn())
    @api.response(200, schemas.ProductList)
    @require_api_role("admin")
    def put(self, body, merchant_id: int):
        """Set the merchant's products: these SKUs are its, the others it had are the operator's again."""
        merchant = merchants.get_merchant(merchant_id)
        keep = set(body["skus"])
        merchants.release_products(merchant, [p.sku for p in merchants.products_of(merchant.id) if p.sku not in keep])
        merchants.assign_products(merchant, sorted(keep))
        return {"items": merchants.products_of(merchant.id)}


@api.route("/merchants/<int:merchant_id>/statements")
@api.response(200, schemas.StatementList)
@require_api_role("admin")
def merchant_statements(merchant_id: int):
    """A merchant's closed statements, newest first."""
    return {"items": statements.statements_of(merchants.get_merchant(merchant_id).id)}


@api.route("/statements/<int:statement_id>")
@api.response(200, schemas.StatementOut)
@require_api_role("admin")
def get_statement(statement_id: int):
    """One closed statement."""
    return statements.get_statement(statement_id)


@api.route("/statements/<int:statement_id>.pdf")
@api.response(200, description="The statement as a PDF.", content_type="application/pdf")
@require_api_role("admin")
def statement_pdf(statement_id: int):
    """A statement as PDF: its totals, tax per rate and every entry."""
    statement = statements.get_statement(statement_id)
    return pdf_response(statement)


@api.route("/statements/<int:statement_id>.csv")
@api.response(200, description="The statement's entries and totals, amounts in minor units.", content_type="text/csv")
@require_api_role("admin")
def statement_csv(statement_id: int):
    """A statement as CSV."""
    return csv_response(statements.get_statement(statement_id))


@api.route("/settlement-runs", methods=["POST"])
@writes
@api.arguments(schemas.CloseIn())
@api.response(202, jobs.JobOut)
@require_api_role("admin")
def start_run(body):
    """Close the open cycles now (every merchant, or these), on the job runner; poll ``status_url``."""
    job = services.start_close_job(body["merchants"])
    response = jsonify(jobs.job_json(job))
    response.status_code = 202
    response.headers["Location"] = jobs.job_json(job)["status_url"]
    return response


@api.route("/payout-batches/<int:batch_id>.csv")
@api.response(200, description="One row per merchant with a positive payout.", content_type="text/csv")
@require_api_role("admin")
def payout_file(batch_id: int):
    """The payout file of one settlement run: account, amount and reference per merchant."""
    batch = statements.get_batch(batch_id)
    return _download(services.payout_csv(batch).encode(), "text/csv", f"payouts-{batch.reference}.csv")


def _download(data: bytes, mimetype: str, name: str) -> Response:
    response = Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


def pdf_response(statement) -> Response:
    """A statement's PDF as a download (the portal uses it too)."""
    return _download(services.statement_pdf(statement), "application/pdf", f"{statement.number}.pdf")


def csv_response(statement) -> Response:
    """A statement's CSV as a download (the portal uses it too)."""
    return _download(services.statement_csv(statement).encode("utf-8-sig"), "text/csv", f"{statement.number}.csv")
