"""Test support: a stand-in for the `cfnresponse` module Lambda provides to inline functions."""
import os
import sys
import types

LAMBDA_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if LAMBDA_DIR not in sys.path:
    sys.path.insert(0, LAMBDA_DIR)


class Recorder(types.ModuleType):
    """Records every cfnresponse.send call instead of PUTting to the pre-signed URL."""

    SUCCESS = "SUCCESS"
    FAILED = "FAILED"

    def __init__(self):
        super().__init__("cfnresponse")
        self.calls = []

    def send(self, event, context, responseStatus, responseData, physicalResourceId=None, noEcho=False,
             reason=None):
        self.calls.append({"status": responseStatus, "data": responseData,
                           "physical_id": physicalResourceId, "reason": reason})


# Importing a function module needs *a* cfnresponse; each test then installs its own Recorder on the module.
sys.modules.setdefault("cfnresponse", Recorder())
