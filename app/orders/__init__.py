"""Orders: what was bought, how it was paid, and the exit pass that lets it out of the store."""

from flask import Blueprint

bp = Blueprint("orders", __name__)
