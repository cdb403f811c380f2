"""The directory and records as spreadsheets: columns, import, export."""
