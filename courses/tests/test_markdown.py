from courses.markdown import render_markdown


def test_headings_get_anchors_and_a_table_of_contents():
    result = render_markdown("## Service types: ClusterIP, NodePort\n\n### Sub part\n\ntext\n")
    assert '<h2 id="service-types-clusterip-nodeport">' in result.html
    assert result.toc == [
        {"level": 2, "id": "service-types-clusterip-nodeport", "title": "Service types: ClusterIP, NodePort"},
        {"level": 3, "id": "sub-part", "title": "Sub part"},
    ]


def test_code_is_highlighted_on_the_server():
    result = render_markdown("```yaml partial\nkind: Pod\n```\n")
    assert '<pre class="highlight" data-lang="yaml" ' in result.html
    assert '<span class="nt">kind</span>' in result.html


def test_admonitions_render_as_asides():
    result = render_markdown("::: warning\nCareful *now*\n:::\n")
    assert '<aside class="admonition admonition-warning">' in result.html
    assert "<em>now</em>" in result.html


def test_details_answers_keep_markdown_inside():
    result = render_markdown("<details>\n<summary>Answer</summary>\n\n**Yes**\n\n</details>\n")
    assert "<details>" in result.html and "<strong>Yes</strong>" in result.html


def test_html_is_sanitised():
    result = render_markdown(
        '<script>alert(1)</script>\n\n<p onclick="x()">hi</p>\n\n[x](javascript:alert(1))\n')
    assert "<script" not in result.html
    assert "onclick" not in result.html
    assert "href=\"javascript" not in result.html


def test_lesson_links_are_rewritten_and_recorded():
    result = render_markdown(
        "See [pods](03-core-resources.md#labels).\n",
        lesson_url=lambda number, slug: f"/lessons/{slug}/" if number == 3 else None,
    )
    assert 'href="/lessons/core-resources/#labels"' in result.html
    [ref] = result.lesson_links
    assert (ref.number, ref.slug, ref.anchor, ref.line) == (3, "core-resources", "labels", 1)


def test_images_resolve_to_static_files_or_are_reported():
    found = render_markdown("![d](diagrams/a.svg)\n", static_url=lambda p: f"/static/{p}")
    assert 'src="/static/diagrams/a.svg"' in found.html
    missing = render_markdown("text\n\n![d](diagrams/missing.svg)\n", static_url=lambda p: None,
                              first_line=10)
    assert missing.missing_assets == [("diagrams/missing.svg", 12)]
