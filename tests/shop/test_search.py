"""Product search in the database's own index: names in any script, SKUs, barcodes, categories, stock."""

from __future__ import annotations

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.catalog import services as catalog
from app.config import TestConfig
from app.errors import DomainError
from app.extensions import db as _db
from app.shop import search
from app.stock import services as stock
from tests.conftest import ean13

both = pytest.mark.parametrize("app", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)


@pytest.fixture
def shelf(make_product):
    """A small range: teas (English and Chinese names), snacks and a teapot."""
    return {
        "longjing": make_product(sku="TEA-001", name="Longjing Green Tea 龙井绿茶", category="Tea", barcode=ean13(501)),
        "keemun": make_product(sku="TEA-002", name="Keemun Black Tea 祁门红茶", category="Tea", barcode=ean13(502)),
        "jasmine": make_product(sku="TEA-003", name="Jasmine Pearls 茉莉龙珠", category="Tea", barcode=ean13(503)),
        "peanuts": make_product(sku="SNK-010", name="Spicy Peanuts 麻辣花生", category="Snacks", barcode=ean13(504)),
        "teapot": make_product(sku="KIT-020", name="Ceramic Teapot 陶瓷茶壶", category="Kitchen", barcode=ean13(505)),
    }


def skus(query="", **kw):
    hits, _ = search.search_products(query, **kw)
    return [hit.product.sku for hit in hits]


@both
def test_a_word_of_the_name_finds_the_products_that_have_it(shelf):
    assert skus("tea") == ["TEA-001", "TEA-002", "TEA-003", "KIT-020"]  # in the SKU, in "Teapot"
    assert skus("green tea") == ["TEA-001"]  # every word must match
    assert skus("PEANUT") == ["SNK-010"]  # any case
    assert skus("pearl jasmine") == ["TEA-003"]  # in any order
    assert skus("coffee") == []


@both
def test_chinese_names_are_found_by_two_or_more_characters(shelf):
    assert skus("绿茶") == ["TEA-001"]  # two characters: a whole word in Chinese
    assert skus("红茶") == ["TEA-002"]
    assert skus("茶") == ["TEA-001", "TEA-002", "KIT-020"]
    assert skus("龙井绿茶") == ["TEA-001"]  # through the trigram index
    assert skus("龙") == ["TEA-001", "TEA-003"]
    assert skus("jasmine 龙珠") == ["TEA-003"]


@both
def test_skus_are_found_whole_or_by_a_part(shelf):
    assert skus("TEA-002") == ["TEA-002"]
    assert skus("tea-00") == ["TEA-001", "TEA-002", "TEA-003"]
    assert skus("SNK") == ["SNK-010"]
    assert skus("020") == ["KIT-020"]


@both
def test_a_barcode_finds_its_product(shelf):
    assert skus(ean13(504)) == ["SNK-010"]
    assert skus(f" {ean13(505)} ") == ["KIT-020"]
    assert skus(ean13(999)) == []


@both
def test_short_words_match_the_start_of_a_word_or_of_the_sku(shelf):
    assert skus("sp") == ["SNK-010"]  # "Spicy"
    assert skus("t") == ["TEA-001", "TEA-002", "TEA-003", "KIT-020"]  # "Tea", "TEA-", "Teapot"
    assert skus("ea") == []  # inside a word: too short to mean anything
    assert skus("k") == ["TEA-002", "KIT-020"]  # "Keemun", "KIT-"


@both
def test_characters_that_mean_something_to_the_database_are_only_characters(shelf):
    for query in ("%", "_", "%%%", '"', 'tea"', "tea*", "NEAR(tea", "OR", "tea OR coffee", "-tea", "\\", "'", "^tea"):
        found = skus(query)
        assert len(found) < len(shelf) or query == "tea*", query
    assert skus('"tea"') == []  # the quotes are part of the word searched
    assert skus("tea\x00") == ["TEA-001", "TEA-002", "TEA-003", "KIT-020"]  # a NUL is not text


@both
def test_a_category_narrows_the_results(shelf):
    assert skus(category="Tea") == ["TEA-001", "TEA-002", "TEA-003"]
    assert skus("tea", category="Kitchen") == ["KIT-020"]
    assert skus("tea", category="Snacks") == []
    assert search.shop_categories() == ["Kitchen", "Snacks", "Tea"]


@both
def test_products_no_longer_sold_are_not_found(db, shelf):
    catalog.update_product(shelf["keemun"], active=False)
    db.session.commit()
    assert skus("tea") == ["TEA-001", "TEA-003", "KIT-020"]
    assert skus(ean13(502)) == []


@both
def test_a_renamed_product_is_found_by_its_new_name_only(db, shelf):
    catalog.update_product(shelf["jasmine"], name="Silver Needle 白毫银针")
    db.session.commit()
    assert skus("silver needle") == ["TEA-003"]
    assert skus("白毫银针") == ["TEA-003"]
    assert skus("jasmine") == [] and skus("茉莉龙珠") == []
    catalog.update_product(shelf["jasmine"], price_amount=999)  # no change of name: still found
    db.session.commit()
    assert skus("needle") == ["TEA-003"]


@both
def test_a_new_product_is_found_at_once(db, shelf, make_product):
    make_product(sku="TEA-004", name="Da Hong Pao 大红袍")
    assert skus("大红袍") == ["TEA-004"]
    assert skus("hong pao") == ["TEA-004"]


@both
def test_pages_follow_the_cursor_without_gaps_or_repeats(make_product):
    made = [make_product(sku=f"OOL-{n:03d}", name=f"Oolong {n} 乌龙茶") for n in range(7)]
    seen, cursor, pages = [], None, 0
    while True:
        hits, cursor = search.search_products("乌龙茶", cursor=cursor, limit=3)
        seen += [hit.product.sku for hit in hits]
        pages += 1
        if cursor is None:
            break
    assert seen == [p.sku for p in made] and pages == 3


def test_a_cursor_not_given_out_and_an_absurd_limit_are_refused(db):
    with pytest.raises(DomainError) as bad_cursor:
        search.search_products("tea", cursor="not-a-cursor")
    assert bad_cursor.value.code == "invalid_cursor"
    with pytest.raises(DomainError) as too_many:
        search.search_products("tea", limit=10_000)
    assert too_many.value.code == "invalid_limit"


@both
def test_each_product_says_its_stock_at_the_store_and_where_else_it_is(db, shelf, make_location):
    pudong = make_location(code="PUDONG", name="Pudong", latitude=31.23, longitude=121.54)
    jingan = make_location(code="JINGAN", name="Jing'an", latitude=31.22, longitude=121.45)
    depot = make_location(code="DEPOT", name="Depot", kind="warehouse", latitude=31.02, longitude=121.41)
    stock.record_movement(shelf["longjing"], pudong, "receive", 4, actor="test")
    stock.record_movement(shelf["longjing"], depot, "receive", 40, actor="test")
    stock.record_movement(shelf["keemun"], jingan, "receive", 2, actor="test")
    db.session.commit()

    hits, _ = search.search_products("红茶 tea", location=pudong)
    assert [(h.product.sku, h.available_here) for h in hits] == [("TEA-002", 0)]
    assert [(e.location.code, e.available) for e in hits[0].elsewhere] == [("JINGAN", 2)]

    longjing = search.search_products("绿茶", location=pudong)[0][0]
    assert longjing.available_here == 4
    assert [e.location.code for e in longjing.elsewhere] == ["DEPOT"]
    assert longjing.elsewhere[0].km == pytest.approx(26.4, abs=0.5)

    anywhere = search.search_products("绿茶")[0][0]  # no store chosen
    assert anywhere.available_here is None and {e.location.code for e in anywhere.elsewhere} == {"PUDONG", "DEPOT"}


def test_the_nearest_store_is_chosen_from_a_position(db, make_location):
    make_location(code="PUDONG", name="Pudong", latitude=31.23, longitude=121.54)
    make_location(code="JINGAN", name="Jing'an", latitude=31.22, longitude=121.45)
    make_location(code="DEPOT", name="Depot", kind="warehouse", latitude=31.30, longitude=121.47)
    make_location(code="NOWHERE", name="Unmapped", latitude=None, longitude=None)
    assert search.nearest_store(31.225, 121.46).code == "JINGAN"
    assert search.nearest_store(31.30, 121.47).code == "JINGAN"  # the depot is closer, but no store
    assert search.nearest_store(31.24, 121.56).code == "PUDONG"
    assert search.nearest_store(91, 0) is None


# ---- the same index whether the schema comes from the migrations or from create_all -----------


def _search_objects(engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(
                text(
                    "SELECT name, sql FROM sqlite_master WHERE name LIKE 'products_fts%' "
                    "OR (type = 'trigger' AND tbl_name = 'products') ORDER BY name"
                )
            )
        else:
            rows = conn.execute(
                text(
                    # pg_trgm's operator class is named with its schema where it is not in the search path.
                    "SELECT indexname, regexp_replace(indexdef, '[a-z0-9_]+\\.', '', 'g') "
                    "FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'products' "
                    "AND indexname LIKE '%trgm' ORDER BY indexname"
                )
            )
        return [(name, " ".join((sql or "").split())) for name, sql in rows]


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_migrations_and_create_all_build_the_same_search_index(request, tmp_path, backend):
    found = []
    for way in ("migrate", "create_all"):
        if backend == "postgres":
            url = request.getfixturevalue("pg_schema_url") if way == "migrate" else _second_pg_schema(request)
        else:
            url = f"sqlite:///{tmp_path / f'{way}.db'}"
        application = create_app(TestConfig(url, tmp_path / way))
        with application.app_context():
            upgrade() if way == "migrate" else _db.create_all()
            found.append(_search_objects(_db.engine))
            _db.session.remove()
            _db.engine.dispose()
    assert found[0] == found[1]
    assert len(found[0]) == (8 if backend == "sqlite" else 2)  # FTS table, 4 shadow tables, 3 triggers


def _second_pg_schema(request) -> str:
    """Another fresh schema (pg_schema_url gives one per test)."""
    import uuid

    from sqlalchemy import create_engine

    from tests.conftest import _pg, need_postgres

    url = need_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_pg(url))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop():
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    request.addfinalizer(drop)
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
