"""Phone pages: sign up, sign in, profile, member code, my scans."""
