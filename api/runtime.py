import gc


def tune_garbage_collector() -> None:
    """Call once the app is built, before serving.

    Start-up objects (schema, modules) live for the whole process: freezing them keeps every
    collection from walking them again, and a larger first generation makes collections rarer
    while a request allocates many short-lived objects.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
