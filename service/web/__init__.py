"""The web layer: typed keys, the middleware chain, the error envelope, responses, headers and CORS, the rate
limit, the client address, signed cursors and the response cache. Resources live in service.api."""
