"""``flask staff`` and ``flask keys`` commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.errors import DomainError
from app.extensions import db
from app.staff import services

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
    from app.catalog import services as catalog

    try:
        store = catalog.get_location(location) if location else None
        user = services.create_staff(email, name, password, role, store.id if store else None)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Created {user.role} {user.email}")


@keys_cli.command("create")
@click.option("--role", type=click.Choice(["admin", "clerk"]), required=True)
@click.option("--name", default="API key")
def create_key(role: str, name: str) -> None:
    """Create an API key; the key is printed alone on the last line."""
    key, plain = services.create_api_key(name, role)
    db.session.commit()
    click.echo(f"Created {key.role} key {key.prefix} ({key.name}). It is shown only once:")
    click.echo(plain)


@keys_cli.command("list")
def list_keys() -> None:
    """List API keys."""
    for key in services.list_api_keys():
        state = "revoked" if key.revoked_at else "active"
        click.echo(f"{key.prefix}\t{key.role}\t{state}\t{key.name}")


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
