"""Storage: static files with hashed names that the PWA's ES modules import each other by; stored files (photos)
answered from where they are kept."""

from urllib.parse import urlparse

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from whitenoise.storage import CompressedManifestStaticFilesStorage


class ModuleManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Rewrite `import … from "./lib/db.js"` to the hashed name, so that a module never loads a stale sibling
    from a cache and the service worker can cache every static file for good."""

    support_js_module_import_aggregation = True
    # A module's hashed name holds those of the modules it imports, so each pass settles one more level of the import
    # graph, in the file system's order: Django's default of 5 is too few for this graph in most orders. Passes stop as
    # soon as nothing changes.
    max_post_process_passes = 20


def stored_file_response(name: str, content_type: str) -> HttpResponseBase:
    """A stored file (a photo), for a reader whose right to it was checked. From an object store, a redirect to a
    signed URL that expires in minutes (S3_BUCKET: the bytes go from the store to the phone, not through this node);
    from this node's disk, streamed. Kept by no cache either way."""
    url = default_storage.url(name)
    if urlparse(url).scheme in ("http", "https"):
        response: HttpResponseBase = HttpResponseRedirect(url)
    else:
        response = FileResponse(default_storage.open(name, "rb"), content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response
