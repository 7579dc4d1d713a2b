"""Dynamic sub-catalogue example: list_models() builds the models in Python.

madengine-actions runs this file with python3 and a stand-in madengine.utils.discover_models
module, so files written for the Python madengine work unchanged. Names get the "dummy3/" prefix
and dockerfile/scripts paths are relative to scripts/dummy3/, as in a sub-catalogue models.json.
"""
from madengine.utils.discover_models import CustomModel

# A plain CustomModel: every field not given keeps its default (n_gpus "-1", timeout 7200, ...).
model3 = CustomModel(
    name="model3",
    dockerfile="../../docker/dummy",
    scripts="run.sh",
    n_gpus="0",
    owner="examples@madengine.invalid",
    tags=["dummies", "dummy3_group"],
)


class Dummy3Model(CustomModel):
    """A subclass fills in its fields in update_model(), called once during discovery."""

    def update_model(self):
        self.dockerfile = "../../docker/dummy"
        self.scripts = "run.sh"
        self.n_gpus = "0"
        self.owner = "examples@madengine.invalid"
        self.args = "--variant model4"


model4 = Dummy3Model(name="model4", tags=["dummies", "dummy3_group"])


def list_models():
    return [model3, model4]
