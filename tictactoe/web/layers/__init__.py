"""Request-wide layers, each registered in create_app: HTTPS, CSRF, input checks, caching,
maintenance, the request log and the login limits."""
