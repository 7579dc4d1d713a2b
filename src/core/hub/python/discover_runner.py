# The discovery runner (see ../python-shim.ts): loads each get_models_json.py named on the command line, one JSON result line per file.
import importlib.util
import json
import os
import sys
import traceback

MARKER = "\u001emadengine-discover: loading "  # PROGRESS_MARKER in ../python-shim.ts


def fault(path, exc):
    line = None
    if isinstance(exc, SyntaxError) and exc.filename and os.path.abspath(exc.filename) == path:
        line = exc.lineno
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.abspath(frame.filename) == path:
            line = frame.lineno
    lines = traceback.format_exception_only(type(exc), exc)
    return {"error": "".join(lines).strip().splitlines()[-1], "line": line}


def load(rel, custom_model):
    path = os.path.abspath(rel)
    try:
        spec = importlib.util.spec_from_file_location("get_models_json", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if not callable(getattr(module, "list_models", None)):
            return {"error": "no list_models() function: define list_models() returning a list of "
                             "madengine.utils.discover_models.CustomModel objects", "line": None}
        listed = module.list_models()
        if isinstance(listed, (str, bytes, dict)) or not hasattr(listed, "__iter__"):
            return {"error": "list_models() returned %s; it must return a list of CustomModel objects"
                             % type(listed).__name__, "line": None}
        models = []
        for index, model in enumerate(listed):
            if not isinstance(model, custom_model):
                return {"error": "list_models() item %d is a %s, not a CustomModel: use or subclass "
                                 "madengine.utils.discover_models.CustomModel" % (index, type(model).__name__),
                        "line": None}
            # Like madengine, selection uses the name and tags as listed; update_model() cannot change them.
            name, tags = model.name, model.tags
            model.update_model()
            entry = dict(model.to_dict())
            entry["name"], entry["tags"] = name, tags
            try:
                json.dumps(entry)
            except (TypeError, ValueError) as exc:
                return {"error": "model %r (item %d) has a value that is not JSON: %s" % (name, index, exc),
                        "line": None}
            models.append(entry)
        return {"models": models}
    except BaseException as exc:  # SystemExit from a script is a failure of that file, not of the runner
        if isinstance(exc, KeyboardInterrupt):
            raise
        return fault(path, exc)


def main():
    sys.dont_write_bytecode = True  # never leave __pycache__ in the user's hub
    results = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever the scripts print goes to stderr; stdout carries only results
    sys.stdout = sys.stderr
    from madengine.utils.discover_models import CustomModel
    for rel in sys.argv[1:]:
        sys.stderr.write("\n" + MARKER + rel + "\n")
        sys.stderr.flush()
        result = load(rel, CustomModel)
        result["file"] = rel
        sys.stderr.flush()
        results.write(json.dumps(result) + "\n")
        results.flush()


main()
