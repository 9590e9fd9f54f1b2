def database_url_for_cli() -> str:
    """DATABASE_URL, or the embedded server in the data folder (started if need be)."""
    # Imported here: settings and the engine module are not needed to parse the command line.
    from api.database import resolve_database_url
    from api.settings import get_settings

    return resolve_database_url(get_settings())
