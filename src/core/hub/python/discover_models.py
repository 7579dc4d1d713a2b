"""Stand-in for madengine.utils.discover_models, provided by madengine-actions so
get_models_json.py files written for the Python madengine run unchanged."""
from dataclasses import dataclass, field
from typing import List


@dataclass
class CustomModel:
    name: str
    dockerfile: str = ""
    dockercontext: str = ""
    scripts: str = ""
    url: str = ""
    cred: str = ""
    owner: str = ""
    data: str = ""
    n_gpus: str = "-1"
    timeout: int = 7200
    training_precision: str = ""
    tags: List[str] = field(default_factory=list)
    args: str = ""
    multiple_results: str = ""
    skip_gpu_arch: str = ""

    def update_model(self):
        """Hook for subclasses to fill in fields; called once before the model is reported."""

    def to_dict(self):
        # Every public attribute, so fields a subclass sets in update_model() are kept too.
        return {key: value for key, value in vars(self).items() if not key.startswith("_")}
