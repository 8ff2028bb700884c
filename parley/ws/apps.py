from django.apps import AppConfig


class WsConfig(AppConfig):
    name = "parley.ws"
    label = "ws"

    def ready(self) -> None:
        """Tell the realtime layer how to build this process's runtime (wired to the apps)."""
        from parley.realtime import runtime
        from parley.ws.wiring import build_runtime

        runtime.configure(build_runtime)
