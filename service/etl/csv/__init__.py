"""The CSV source's parts: columns, block reader, the COPY way, the Python reference way."""
