"""The stand-in's routers, one module per part of NOMAD's API."""
