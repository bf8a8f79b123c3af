"""``flask staff`` and ``flask keys`` commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.errors import DomainError
from app.extensions import db
from app.staff import registry, services
from app.staff.scopes import SCOPES

staff_cli = AppGroup("staff", help="Manage staff users.")
keys_cli = AppGroup("keys", help="Manage API keys.")


@staff_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", default="")
@click.option("--role", type=click.Choice(["admin", "clerk"]), default="clerk")
@click.option("--location", default=None, help="A clerk's own store (code): they see its members only.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_staff(email: str, name: str, role: str, location: str | None, password: str) -> None:
    """Create a staff user."""
    try:
        store_id = registry.location_id(location) if location else None
        user = services.create_staff(email, name, password, role, store_id)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Created {user.role} {user.email}")


@keys_cli.command("create")
@click.option("--role", type=click.Choice(["admin", "clerk"]), required=True)
@click.option("--name", default="API key")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(list(SCOPES)),
    help="Limit the key to these operations (repeat the option). None: whatever the role allows.",
)
@click.option(
    "--location",
    "locations",
    multiple=True,
    help="Limit the key to these locations, by code (repeat the option). None: every location.",
)
def create_key(role: str, name: str, scopes: tuple[str, ...], locations: tuple[str, ...]) -> None:
    """Create an API key; the key is printed alone on the last line."""
    try:
        key, plain = services.create_api_key(name, role, scopes, [registry.location_id(code) for code in locations])
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Created {key.role} key {key.prefix} ({key.name}). It is shown only once:")
    click.echo(plain)


@keys_cli.command("list")
def list_keys() -> None:
    """List API keys: prefix, role, state, scopes, locations and name."""
    codes = {id_: code for id_, code, _ in registry.location_choices()}
    for key in services.list_api_keys():
        state = "revoked" if key.revoked_at else "active"
        scopes = ",".join(key.scopes) if key.scopes else "*"
        places = ",".join(codes.get(id_, f"#{id_}") for id_ in key.location_ids) if key.location_ids else "*"
        click.echo(f"{key.prefix}\t{key.role}\t{state}\t{scopes}\t{places}\t{key.name}")


@keys_cli.command("revoke")
@click.argument("prefix")
def revoke_key(prefix: str) -> None:
    """Revoke the key with this prefix."""
    try:
        services.revoke_api_key(prefix)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Revoked {prefix}")
