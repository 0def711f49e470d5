"""Static files storage: hashed names that the PWA's ES modules import each other by."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ModuleManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Rewrite `import … from "./lib/db.js"` to the hashed name, so that a module never loads a stale sibling
    from a cache and the service worker can cache every static file for good."""

    support_js_module_import_aggregation = True
    # A module's hashed name holds those of the modules it imports, so each pass settles one more level of the import
    # graph, in the file system's order: Django's default of 5 is too few for this graph in most orders. Passes stop as
    # soon as nothing changes.
    max_post_process_passes = 20
