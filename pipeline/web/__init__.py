"""Web services of crebis: Starlette apps served by uvicorn (subscriptions; the curation page reuses `base`)."""
