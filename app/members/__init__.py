"""Members: one shopper, the same in the store and online."""

from flask import Blueprint

bp = Blueprint("members", __name__)
