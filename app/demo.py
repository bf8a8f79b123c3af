"""``flask demo``: a demo store to try Oneshelf with, on an empty database."""

from __future__ import annotations

import hashlib
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import func, select
from stdnum import ean

from app.catalog import services as catalog
from app.catalog.models import Location, Product
from app.extensions import db
from app.labels import services as labels
from app.staff import services as staff
from app.staff.models import StaffUser

ADMIN = ("admin@oneshelf.test", "Avery Admin", "demo-admin-pass")
CLERK = ("clerk@oneshelf.test", "Casey Clerk", "demo-clerk-pass")
LOCATIONS = [
    ("SH-PUDONG", "Oneshelf Pudong", "store", "1000 Century Avenue, Pudong, Shanghai", 31.2304, 121.5447),
    ("SH-JINGAN", "Oneshelf Jing'an", "store", "1601 West Nanjing Road, Jing'an, Shanghai", 31.2243, 121.4466),
    ("SH-WH1", "Minhang Warehouse", "warehouse", "88 Jianchuan Road, Minhang, Shanghai", 31.0189, 121.4086),
]
CATALOG = {
    "Tea": [
        "Longjing Green Tea",
        "Tieguanyin Oolong",
        "Pu'er Cake",
        "Jasmine Pearls",
        "Keemun Black Tea",
        "White Peony",
        "Da Hong Pao",
        "Chrysanthemum Tea",
    ],
    "Snacks": [
        "Sesame Crisps",
        "Spicy Peanuts",
        "Rice Crackers",
        "Dried Mango",
        "Walnut Cookies",
        "Seaweed Chips",
        "Red Bean Buns",
        "Mooncake Box",
    ],
    "Kitchen": [
        "Bamboo Steamer",
        "Carbon Steel Wok",
        "Cleaver",
        "Ceramic Teapot",
        "Chopstick Set",
        "Rice Cooker",
        "Porcelain Bowls",
        "Tea Tray",
    ],
    "Home": [
        "Silk Cushion",
        "Paper Lantern",
        "Linen Towel",
        "Scented Candle",
        "Bamboo Basket",
        "Wool Throw",
        "Desk Lamp",
        "Wall Clock",
    ],
    "Stationery": [
        "Calligraphy Brush",
        "Ink Stick",
        "Rice Paper Pad",
        "Notebook A5",
        "Fountain Pen",
        "Washi Tape",
        "Seal Stamp",
        "Pencil Case",
    ],
}
# Names on the shelf in Shanghai carry the Chinese name too (the web shop finds either).
CHINESE = {
    "Longjing Green Tea": "龙井绿茶",
    "Tieguanyin Oolong": "铁观音乌龙茶",
    "Pu'er Cake": "普洱茶饼",
    "Jasmine Pearls": "茉莉龙珠",
    "Keemun Black Tea": "祁门红茶",
    "White Peony": "白牡丹",
    "Da Hong Pao": "大红袍",
    "Chrysanthemum Tea": "菊花茶",
    "Sesame Crisps": "芝麻脆片",
    "Spicy Peanuts": "麻辣花生",
    "Rice Crackers": "米饼",
    "Dried Mango": "芒果干",
    "Walnut Cookies": "核桃酥",
    "Seaweed Chips": "海苔脆",
    "Red Bean Buns": "红豆包",
    "Mooncake Box": "月饼礼盒",
    "Bamboo Steamer": "竹蒸笼",
    "Carbon Steel Wok": "碳钢炒锅",
    "Cleaver": "菜刀",
    "Ceramic Teapot": "陶瓷茶壶",
    "Chopstick Set": "筷子套装",
    "Rice Cooker": "电饭煲",
    "Porcelain Bowls": "瓷碗",
    "Tea Tray": "茶盘",
    "Silk Cushion": "丝绸靠垫",
    "Paper Lantern": "纸灯笼",
    "Linen Towel": "亚麻毛巾",
    "Scented Candle": "香薰蜡烛",
    "Bamboo Basket": "竹篮",
    "Wool Throw": "羊毛毯",
    "Desk Lamp": "台灯",
    "Wall Clock": "挂钟",
    "Calligraphy Brush": "毛笔",
    "Ink Stick": "墨条",
    "Rice Paper Pad": "宣纸本",
    "Notebook A5": "A5笔记本",
    "Fountain Pen": "钢笔",
    "Washi Tape": "和纸胶带",
    "Seal Stamp": "印章",
    "Pencil Case": "笔袋",
}
COLOURS = {
    "Tea": (46, 125, 50),
    "Snacks": (230, 81, 0),
    "Kitchen": (69, 90, 100),
    "Home": (106, 27, 154),
    "Stationery": (21, 101, 192),
}


def _font(size: int) -> ImageFont.ImageFont:
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",):
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def _product_image(sku: str, name: str, category: str) -> str:
    """Draw a simple product picture into instance/media and return its URL."""
    folder = Path(current_app.config["MEDIA_PATH"]) / "products"
    folder.mkdir(parents=True, exist_ok=True)
    r, g, b = COLOURS[category]
    # A soft gradient from the category colour to a lighter shade, so pictures are not flat.
    lighter = Image.new("RGB", (480, 480), (min(255, r + 90), min(255, g + 90), min(255, b + 90)))
    image = Image.composite(
        lighter, Image.new("RGB", (480, 480), (r, g, b)), Image.linear_gradient("L").resize((480, 480))
    )
    draw = ImageDraw.Draw(image)
    initials = "".join(word[0] for word in name.split()[:2]).upper()
    draw.ellipse((110, 70, 370, 330), fill=(255, 255, 255))
    draw.text((240, 200), initials, font=_font(120), fill=(r, g, b), anchor="mm")
    draw.text((240, 410), name, font=_font(30), fill=(255, 255, 255), anchor="mm")
    image.save(folder / f"{sku}.png", optimize=True)
    return f"/media/products/{sku}.png"


def _barcode(n: int) -> str:
    """A valid EAN-13 in the 690 (China) range."""
    body = f"690{123400000 + n:09d}"
    return body + ean.calc_check_digit(body)


def _stock_demo() -> None:
    """Opening stock: most products in most places, a few sold out, to see the ledger at work."""
    from app.catalog.models import Location, Product
    from app.stock import services as stock

    for product in db.session.scalars(select(Product).order_by(Product.id)):
        for location in db.session.scalars(select(Location).order_by(Location.id)):
            seed = int(hashlib.sha256(f"{product.sku}@{location.code}".encode()).hexdigest(), 16)
            quantity = 0 if seed % 7 == 0 else (seed % 25) + (40 if location.kind == "warehouse" else 1)
            if quantity:
                stock.record_movement(product, location, "receive", quantity, reference="opening stock", actor="demo")


def seed_demo() -> dict:
    """Create the demo locations, products, staff and a ready label PDF."""
    for code, name, kind, address, lat, lon in LOCATIONS:
        catalog.create_location(code, name, kind, address, lat, lon, "Asia/Shanghai")
    n = 0
    for category, names in CATALOG.items():
        for name in names:
            n += 1
            sku = f"{category[:3].upper()}-{n:03d}"
            # Prices from a hash, so the demo is the same on every machine.
            price = 500 + int(hashlib.sha256(sku.encode()).hexdigest(), 16) % 30000
            price -= price % 10
            catalog.create_product(
                sku,
                f"{name} {CHINESE[name]}",
                price,
                current_app.config["DEFAULT_CURRENCY"],
                category=category,
                description=f"{name} from the Oneshelf {category.lower()} range.",
                barcode=_barcode(n),
                image=_product_image(sku, name, category),
            )
    _stock_demo()
    for email, name, password in (ADMIN, CLERK):
        staff.create_staff(email, name, password, "admin" if email == ADMIN[0] else "clerk")
    db.session.flush()
    store = LOCATIONS[0][0]
    pdf = labels.render_now(labels.labels_to_print(store, None), "a4")
    path = Path(current_app.config["INSTANCE_PATH"]) / f"demo-labels-{store}.pdf"
    path.write_bytes(pdf)
    return {"products": n, "labels_pdf": str(path)}


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has data.")
@with_appcontext
def demo_command(if_empty: bool) -> None:
    """Seed a demo store: two stores and a warehouse, 40 products, an admin and a clerk."""
    has_data = (
        db.session.scalar(select(func.count()).select_from(Product))
        or db.session.scalar(select(func.count()).select_from(Location))
        or db.session.scalar(select(func.count()).select_from(StaffUser))
    )
    if has_data:
        if if_empty:
            click.echo("Database already has data; demo not seeded.")
            return
        raise click.ClickException("The database already has data; the demo seeds an empty database only.")
    summary = seed_demo()
    db.session.commit()
    click.echo(f"Demo store ready: {summary['products']} products, labels to print at {summary['labels_pdf']}")
    click.echo(f"Staff sign-in: {ADMIN[0]} / {ADMIN[2]} (admin), {CLERK[0]} / {CLERK[2]} (clerk)")
