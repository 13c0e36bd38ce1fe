"""The MSP's console: server-rendered pages over the services' public HTTP APIs."""
