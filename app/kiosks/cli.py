"""``flask devices``: register, list and revoke kiosk devices."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.errors import DomainError
from app.extensions import db
from app.kiosks import services

devices_cli = AppGroup("devices", help="Manage kiosk devices.")


@devices_cli.command("create")
@click.option("--location", required=True, help="Store code, e.g. SH-PUDONG.")
@click.option("--name", required=True, help='Shown to staff, e.g. "Kiosk 3".')
@click.option(
    "--number",
    type=int,
    default=None,
    help="Number in the store (default: from the name, else the next free one).",
)
def create_device(location: str, name: str, number: int | None) -> None:
    """Register a kiosk; its token is printed alone on the last line."""
    try:
        device, token = services.create_device(location, name, number)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    base = current_app.config["PUBLIC_BASE_URL"]
    click.echo(f"Created {device.label} ({device.name}) at {device.location.name}, token prefix {device.token_prefix}.")
    click.echo(f"Open {base}/kiosk?token=<token> on the kiosk. The token is shown only once:")
    click.echo(token)


@devices_cli.command("list")
def list_devices() -> None:
    """List kiosk devices."""
    for device in services.list_devices():
        state = "revoked" if device.revoked_at else "active"
        click.echo(f"{device.token_prefix}\t{device.location.code}\t{device.label}\t{state}\t{device.name}")


@devices_cli.command("revoke")
@click.argument("prefix")
def revoke_device(prefix: str) -> None:
    """Revoke the kiosk with this token prefix."""
    try:
        services.revoke_device(prefix)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Revoked {prefix}")
