from ketaflow.core.tests.test_url_matrix import EVERYONE, Entry

MATRIX = {
    "fhir:metadata": Entry(allowed=EVERYONE),
}
