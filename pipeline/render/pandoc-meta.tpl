$meta-json$
