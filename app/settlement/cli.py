"""``flask merchants`` commands: add a merchant, and a user for its portal."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.errors import DomainError
from app.extensions import db
from app.settlement import merchants, services

merchants_cli = AppGroup("merchants", help="Manage concession merchants and their portal users.")


@merchants_cli.command("create")
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--account", default="", help="Payout account (bank and number).")
@click.option("--days", default=1, type=int, help="Settlement cycle T+N (default T+1).")
@click.option("--rate", default=None, type=int, help="General commission in basis points (1000 = 10%).")
def create_merchant(code: str, name: str, account: str, days: int, rate: int | None) -> None:
    """Add a merchant."""
    try:
        merchant = merchants.create_merchant(code, name, account, days)
        if rate is not None:
            merchants.set_rate(merchant, rate)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Created merchant {merchant.code} (id {merchant.id})")


@merchants_cli.command("create-user")
@click.option("--merchant", "code", required=True, help="The merchant's code.")
@click.option("--email", required=True)
@click.option("--name", default="")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user(code: str, email: str, name: str, password: str) -> None:
    """Create a merchant user: it signs in at /merchant/login and sees that merchant only."""
    try:
        user = services.create_merchant_user(merchants.merchant_by_code(code), email, name, password)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Created merchant user {user.email} for {code.upper()}")
