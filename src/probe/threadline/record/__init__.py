"""Record: the buffer the hooks fill, its conversion to schema-v2 columns, and the cores it may use."""
