"""The import wizard: files as spreadsheets really save them, mapped to a model's columns, checked, then imported
in the background (see `runner`). Each app says what its rows mean in its `resources.py` (an `Importer`)."""
