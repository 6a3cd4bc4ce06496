#!/usr/bin/env python3
"""Builds openapi/fluxer-auth.json, FluxerAuth's OpenAPI 3.1 document, from two sources:

  reference/fluxer-openapi-auth.json  Fluxer's own document (authentication subset), copied verbatim: each of its
                                      operations goes in unchanged, with every component schema it uses, transitively;
  additions.py                        our other operations, schemas, responses, security schemes and error codes.

  python3 openapi/build.py            write openapi/fluxer-auth.json
  python3 openapi/build.py --check    exit 1 when the committed file is not what this script writes

The binary embeds the written file (Plugins/FluxerEmbed) and serves it at /openapi.json and as HTML at /docs;
Tests/FluxerAuthTests/OpenAPIDocumentTests.swift runs --check and compares the document with the route table.
The info version is FluxerAuthVersion.string.
"""
import copy
import json
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
REFERENCE = HERE / "reference" / "fluxer-openapi-auth.json"
OUTPUT = HERE / "fluxer-auth.json"
VERSION_SOURCE = ROOT / "Sources" / "FluxerAPI" / "Context" / "FluxerAuthVersion.swift"
METHODS = ("get", "put", "post", "patch", "delete")
SERVER = {
    "url": "/api/v1",
    "description": "This server. The running server names its `server.public_url` here when one is configured; every path also "
                   "answers under `/v1` and unprefixed.",
}

sys.path.insert(0, str(HERE))
import additions  # noqa: E402


class BuildError(Exception):
    pass


def refs(node):
    """Every `$ref` under `node`."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def version():
    match = re.search(r'static let string = "([^"]+)"', VERSION_SOURCE.read_text())
    if not match:
        raise BuildError(f"no version in {VERSION_SOURCE}")
    return match.group(1)


def operations(paths):
    for path, item in paths.items():
        for method, op in item.items():
            yield path, method, op


def merged_paths(reference):
    paths = {}
    for path, item in reference["paths"].items():
        unknown = set(item) - set(METHODS)
        if unknown:
            raise BuildError(f"{path}: unexpected members {sorted(unknown)} in the reference")
        paths[path] = {method: copy.deepcopy(item[method]) for method in METHODS if method in item}
    for path, item in additions.PATHS.items():
        for method, op in item.items():
            if method not in METHODS:
                raise BuildError(f"{path}: unknown method {method}")
            if method in paths.get(path, {}):
                raise BuildError(f"{method.upper()} {path} is Fluxer's operation: it is copied from the reference, never redefined")
            paths.setdefault(path, {})[method] = copy.deepcopy(op)
    return {path: {m: paths[path][m] for m in METHODS if m in paths[path]} for path in sorted(paths)}


def needed_schemas(roots, reference_schemas):
    """The schemas reachable from `roots` through `$ref`, transitively."""
    needed, queue = set(), list(refs(roots))
    while queue:
        target = queue.pop()
        prefix = "#/components/schemas/"
        if not target.startswith(prefix):
            continue
        name = target[len(prefix):]
        if name in needed:
            continue
        schema = reference_schemas.get(name, additions.SCHEMAS.get(name))
        if schema is None:
            raise BuildError(f"$ref {target} names no schema")
        needed.add(name)
        queue.extend(refs(schema))
    return needed


def validate(document, reference):
    components = document["components"]
    for target in set(refs(document)):
        parts = target.split("/")
        if len(parts) != 4 or parts[:2] != ["#", "components"] or parts[3] not in components.get(parts[2], {}):
            raise BuildError(f"unresolved $ref {target}")
    tags = {tag["name"] for tag in document["tags"]}
    seen = {}
    schemes = components["securitySchemes"]
    for path, method, op in operations(document["paths"]):
        name = f"{method.upper()} {path}"
        op_id = op.get("operationId")
        if not op_id:
            raise BuildError(f"{name} has no operationId")
        if op_id in seen:
            raise BuildError(f"operationId {op_id} used by {seen[op_id]} and {name}")
        seen[op_id] = name
        for tag in op.get("tags", []):
            if tag not in tags:
                raise BuildError(f"{name}: tag {tag} is not in the document's tags")
        for requirement in op.get("security", []):
            for scheme in requirement:
                if scheme not in schemes:
                    raise BuildError(f"{name}: unknown security scheme {scheme}")
        declared = {p.get("name") for p in op.get("parameters", []) if p.get("in") == "path"}
        declared |= {components["parameters"][r.split("/")[-1]]["name"] for r in refs(op.get("parameters", []))
                     if r.startswith("#/components/parameters/") and components["parameters"][r.split("/")[-1]]["in"] == "path"}
        if declared != set(re.findall(r"{([^}]+)}", path)):
            raise BuildError(f"{name}: path parameters {sorted(declared)} do not match the path")
    for path, method, op in operations(reference["paths"]):
        if document["paths"][path][method] != op:
            raise BuildError(f"{method.upper()} {path} differs from the reference")

    api_codes = set(reference["components"]["schemas"]["APIErrorCode"]["enum"])
    known_field_codes = set(reference["components"]["schemas"]["ValidationErrorCodeSchema"]["x-enumNames"])
    if set(additions.ERROR_CODES) & api_codes:
        raise BuildError(f"already in APIErrorCode: {sorted(set(additions.ERROR_CODES) & api_codes)}")
    if set(additions.VALIDATION_ERROR_CODES) & known_field_codes:
        raise BuildError(f"already in ValidationErrorCodeSchema: {sorted(set(additions.VALIDATION_ERROR_CODES) & known_field_codes)}")
    for path, method, op in operations(document["paths"]):
        unknown = set(op.get("x-fluxer-auth-error-codes", [])) - api_codes - set(additions.ERROR_CODES)
        if unknown:
            raise BuildError(f"{method.upper()} {path}: codes in no catalogue: {sorted(unknown)}")
    reference_ids = {op["operationId"] for _, _, op in operations(reference["paths"])}
    for op_id, note in document["x-fluxer-auth-notes"].items():
        if op_id not in reference_ids:
            raise BuildError(f"x-fluxer-auth-notes: {op_id} is not one of Fluxer's operations")
        for requirement in note.get("security", []):
            for scheme in requirement:
                if scheme not in schemes:
                    raise BuildError(f"x-fluxer-auth-notes.{op_id}: unknown security scheme {scheme}")


def build():
    reference = json.loads(REFERENCE.read_text())
    reference_schemas = reference["components"]["schemas"]
    collisions = set(reference_schemas) & set(additions.SCHEMAS)
    if collisions:
        raise BuildError(f"schemas defined by the reference: {sorted(collisions)}")
    schemes = reference["components"]["securitySchemes"]
    if set(schemes) & set(additions.SECURITY_SCHEMES):
        raise BuildError(f"security schemes defined by the reference: {sorted(set(schemes) & set(additions.SECURITY_SCHEMES))}")

    paths = merged_paths(reference)
    roots = [paths, additions.RESPONSES, additions.PARAMETERS, additions.NOTES]
    needed = needed_schemas(roots, reference_schemas)
    unused = set(additions.SCHEMAS) - needed
    if unused:
        raise BuildError(f"schemas no operation uses: {sorted(unused)}")
    schemas = {name: copy.deepcopy(schema) for name, schema in reference_schemas.items() if name in needed}
    schemas.update({name: copy.deepcopy(schema) for name, schema in additions.SCHEMAS.items()})

    document = {
        "openapi": "3.1.0",
        "info": dict(additions.INFO, version=version()),
        "servers": [SERVER],
        "tags": additions.TAGS,
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": additions.RESPONSES,
            "parameters": additions.PARAMETERS,
            "securitySchemes": dict(copy.deepcopy(schemes), **additions.SECURITY_SCHEMES),
        },
        "x-fluxer-auth-notes": additions.NOTES,
    }
    validate(document, reference)
    try:  # the OpenAPI 3.1 meta-schema, where the validator is installed (it is not needed to build)
        from openapi_spec_validator import validate as validate_spec
    except ImportError:
        validate_spec = None
    if validate_spec:
        validate_spec(copy.deepcopy(document))
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv):
    try:
        text = build()
    except BuildError as error:
        print(f"openapi/build.py: {error}", file=sys.stderr)
        return 2
    if argv[1:] == ["--check"]:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            print("openapi/fluxer-auth.json is out of date: run python3 openapi/build.py", file=sys.stderr)
            return 1
        return 0
    if argv[1:]:
        print(__doc__, file=sys.stderr)
        return 2
    OUTPUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
