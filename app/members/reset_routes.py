"""Phone pages: verify an e-mail or phone, reset a forgotten password."""
