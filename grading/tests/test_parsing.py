import io
import tarfile
import time
import zipfile

import pytest

from grading.intake.parsing import Limits, parse_submission

LIMITS = Limits()

DEPLOYMENT = b"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: iris
spec:
  replicas: 3
"""
SERVICE = b"apiVersion: v1\nkind: Service\nmetadata:\n  name: iris\n"


def parse(*files, limits=LIMITS):
    return parse_submission(list(files), limits)


def make_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def make_tar(members: dict[str, bytes], symlink: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        if symlink:
            info = tarfile.TarInfo(symlink)
            info.type = tarfile.SYMTYPE
            info.linkname = "/etc/passwd"
            archive.addfile(info)
    return buffer.getvalue()


def messages(result) -> str:
    return "\n".join(str(e) for e in result.errors)


def test_reads_every_document_of_every_file():
    result = parse(("a.yaml", DEPLOYMENT + b"---\n" + SERVICE), ("b.yml", SERVICE.replace(b"iris", b"db")))
    assert [o.ref for o in result.objects] == ["Deployment/iris", "Service/iris", "Service/db"]
    assert [(o.file, o.document) for o in result.objects] == [("a.yaml", 1), ("a.yaml", 2), ("b.yml", 1)]
    assert result.errors == []


def test_skips_empty_documents():
    result = parse(("a.yaml", b"---\n" + DEPLOYMENT + b"---\n# nothing\n"))
    assert [o.ref for o in result.objects] == ["Deployment/iris"]


def test_unpacks_kind_list_and_locates_its_items():
    text = b"apiVersion: v1\nkind: List\nitems:\n" + b"".join(
        b"- " + doc.replace(b"\n", b"\n  ").rstrip(b" ") for doc in (DEPLOYMENT, SERVICE)
    )
    result = parse(("list.yaml", text))
    assert [o.ref for o in result.objects] == ["Deployment/iris", "Service/iris"]
    service = result.objects[1]
    assert service.problem(["metadata", "name"], "x").field == "items[1].metadata.name"
    assert service.line(["metadata", "name"]) == 13  # a line of the file, not of the item


def test_timestamps_stay_strings_as_in_json():
    result = parse(("a.yaml", DEPLOYMENT + b"  note: 2024-01-01\n"))
    assert result.objects[0].data["spec"]["note"] == "2024-01-01"


def test_rejects_yaml_alias_bomb_quickly():
    lines = [b'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [
        b"a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]" % ((i, i) + (i - 1,) * 9)
        for i in range(1, 10)
    ]
    started = time.perf_counter()
    result = parse(("bomb.yaml", b"\n".join(lines)))
    assert time.perf_counter() - started < 0.1
    assert result.objects == []
    assert len(result.errors) == 1
    error = result.errors[0]
    assert (error.file, error.document, error.line) == ("bomb.yaml", 1, 1)
    assert "anchors and aliases" in error.message


def test_rejects_an_anchor_even_without_an_alias():
    result = parse(("a.yaml", DEPLOYMENT.replace(b"spec:", b"spec: &spec")))
    assert "anchors and aliases" in messages(result)


def test_rejects_more_than_200_documents():
    text = b"---\n".join([SERVICE] * 201)
    result = parse(("many.yaml", text))
    assert result.objects == []
    assert "more than 200 YAML documents" in messages(result)
    assert result.errors[0].document == 201


def test_document_cap_counts_across_files():
    result = parse(*[(f"{i}.yaml", SERVICE) for i in range(3)], limits=Limits(max_documents=2))
    assert "more than 2 YAML documents" in messages(result)


def test_rejects_deep_nesting():
    result = parse(("deep.yaml", b"a: " + b"[" * 50 + b"]" * 50))
    assert "nested more than 40 levels" in messages(result)


def test_rejects_too_many_nodes():
    text = SERVICE + b"data:\n" + b"".join(b"  k%d: v\n" % i for i in range(200))
    result = parse(("big.yaml", text), limits=Limits(max_nodes=100))
    assert "more than 100 YAML nodes" in messages(result)


def test_rejects_submissions_over_one_mebibyte():
    result = parse(("a.yaml", SERVICE), ("b.yaml", b"#" * (1024 * 1024)))
    assert "larger than 1 MiB" in messages(result)
    assert result.errors[0].file == "b.yaml"


def test_names_file_document_and_line_of_a_syntax_error():
    result = parse(("bad.yaml", SERVICE + b"---\n" + b"kind: Service\nmetadata: {\n  a: [}\n"))
    error = result.errors[0]
    assert (error.file, error.document, error.line) == ("bad.yaml", 2, 8)  # lines count from the file's top
    assert error.message.startswith("invalid YAML")


def test_reports_duplicate_keys():
    result = parse(("dup.yaml", DEPLOYMENT + b"spec: {}\n"))
    assert result.objects == []
    assert str(result.errors[0]) == "dup.yaml (document 1):7 [spec]: duplicate key 'spec'"


@pytest.mark.parametrize("tag", [b"!!python/object/apply:os.system", b"!!binary", b"!custom", b"!!set"])
def test_refuses_tags_json_cannot_hold(tag):
    result = parse(("tag.yaml", SERVICE + b"data: " + tag + b" {a: 1}\n"))
    assert result.objects == []
    assert "unsupported YAML" in messages(result)


def test_a_document_must_be_an_object():
    result = parse(("list.yaml", b"- a\n- b\n"))
    assert "must be one Kubernetes object" in messages(result)


def test_every_object_needs_api_version_kind_and_name():
    result = parse(("a.yaml", b"kind: Service\nmetadata:\n  labels: {}\n"))
    text = messages(result)
    assert "`apiVersion`" in text and "`metadata.name`" in text
    assert result.errors[1].line == 2


def test_refuses_text_that_is_not_utf8():
    result = parse(("a.yaml", b"\xff\xfe\x00k"))
    assert "not UTF-8" in messages(result)


def test_files_that_are_not_yaml_beside_the_manifests_are_ignored_not_refused():
    # As inside a .zip, and as `kubectl apply -f dir/` does.
    result = parse(("apply.sh", b"#!/bin/sh\nkubectl apply -f .\n"), ("Makefile", b"all:\n"),
                   (".gitignore", b"*.pyc\n"), ("d.yaml", DEPLOYMENT))
    assert result.errors == []
    assert result.ignored == ["apply.sh", "Makefile", ".gitignore"]
    assert [o.ref for o in result.objects] == ["Deployment/iris"]


def test_nothing_submitted():
    assert "nothing was submitted" in messages(parse())


# --- archives -------------------------------------------------------------------------------


def test_reads_yaml_and_readme_from_a_zip_and_ignores_other_files():
    data = make_zip(
        {
            "k8s/deploy.yaml": DEPLOYMENT,
            "k8s/svc.yml": SERVICE,
            "README.md": b"# Hi",
            "src/app.py": b"print()",
            "k8s/": b"",
        }
    )
    result = parse(("project.zip", data))
    assert [o.ref for o in result.objects] == ["Deployment/iris", "Service/iris"]
    assert result.objects[0].file == "project.zip:k8s/deploy.yaml"
    assert result.readme == "# Hi"
    assert result.ignored == ["project.zip:src/app.py"]


def test_rejects_zip_bomb_quickly():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.yaml", b"\0" * (20 * 1024 * 1024))
    started = time.perf_counter()
    result = parse(("bomb.zip", buffer.getvalue()))
    assert time.perf_counter() - started < 0.1
    assert result.objects == []
    assert "zip bomb" in messages(result)


def test_zip_member_lying_about_its_size_is_refused():
    data = bytearray(make_zip({"a.yaml": SERVICE * 10}))
    # Shrink the declared size in both headers: reading stops there and the CRC check fails.
    real = len(SERVICE * 10).to_bytes(4, "little")
    data = bytes(data).replace(real, (10).to_bytes(4, "little"))
    result = parse(("liar.zip", data))
    assert result.objects == []
    assert "cannot be read" in messages(result)


@pytest.mark.parametrize("name", ["../evil.yaml", "/etc/evil.yaml", "a/../../evil.yaml", "C:\\evil.yaml"])
def test_rejects_archive_path_traversal(name):
    result = parse(("evil.zip", make_zip({name: SERVICE})))
    assert "unsafe path" in messages(result)
    result = parse(("evil.tar.gz", make_tar({name: SERVICE})))
    assert "unsafe path" in messages(result)


def test_rejects_too_many_archive_members():
    data = make_zip({f"{i}.yaml": SERVICE.replace(b"iris", b"s%d" % i) for i in range(60)})
    assert "60 members; at most 50" in messages(parse(("many.zip", data)))


def test_rejects_symlinks_in_archives():
    assert "link or a device" in messages(
        parse(("a.tar.gz", make_tar({"a.yaml": SERVICE}, symlink="l.yaml")))
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("link.yaml")
        info.external_attr = 0o120777 << 16
        archive.writestr(info, "/etc/passwd")
    assert "link or a device" in messages(parse(("a.zip", buffer.getvalue())))


def test_reads_tar_gz():
    result = parse(("p.tar.gz", make_tar({"deploy.yaml": DEPLOYMENT, "README.md": b"readme"})))
    assert [o.ref for o in result.objects] == ["Deployment/iris"]
    assert result.readme == "readme"


def test_rejects_tar_bomb_quickly():
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("bomb.yaml")
        info.size = 50 * 1024 * 1024
        archive.addfile(info, io.BytesIO(b"\0" * info.size))
    started = time.perf_counter()
    result = parse(("bomb.tar.gz", buffer.getvalue()))
    assert time.perf_counter() - started < 0.1
    assert "tar bomb" in messages(result)


def test_rejects_a_damaged_archive():
    assert "not a readable .zip" in messages(parse(("x.zip", b"PK\x03\x04garbage")))
    assert "archive" in messages(parse(("x.tar.gz", b"\x1f\x8bgarbage")))
