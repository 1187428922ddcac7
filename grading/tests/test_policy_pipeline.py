"""The pipeline builds the sandbox policy with the operator's denied CIDRs
(conf.sandbox_denied_cidrs() → grade_static(denied_cidrs=...))."""

from grading.tests.conftest import GOOD
from grading.tests.test_pipeline import grade

EGRESS_TO_10_43 = b"""\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: to-services}
spec:
  podSelector: {}
  egress:
    - to: [{ipBlock: {cidr: 10.43.0.0/24}}]
"""


def test_grade_static_refuses_ip_blocks_into_the_configured_denied_cidrs():
    files = [("d.yaml", GOOD), ("np.yaml", EGRESS_TO_10_43)]
    # k3s's Service range: allowed under the default list (kubeadm's 10.96.0.0/12)...
    assert grade(files).errors == []
    # ...and refused, naming the file, line and field, once the operator lists it.
    [error] = grade(files, denied_cidrs=("10.43.0.0/16",)).errors
    assert (error.file, error.line, error.field) == ("np.yaml", 7, "spec.egress[0].to[0].ipBlock.cidr")
    assert "includes 10.43.0.0/16" in error.message
