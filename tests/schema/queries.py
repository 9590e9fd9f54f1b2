"""The operations the brief promises work exactly as written."""

WHO_RECOGNIZED = """
query WhoRecognized($subject: String!, $asOf: Date!) {
  recognitions(where: {subject: {eq: $subject}}, asOf: $asOf, first: 100) {
    totalCount
    nodes { key type mode from { iso precision } to { iso } recognizer { iso3 name }
            sources { key url publisher } }
  }
}
"""

EMIRATE = """
{ government(key: "AFG:islamic-emirate") {
    name state { iso3 } periods { from { iso } to { iso } }
    recognizedBy(asOf: "2000-01-01") { totalCount nodes { recognizer { iso3 } } }
    sanctions(asOf: "2024-01-01") { totalCount nodes { key authority measures } } } }
"""

RUSSIA = """
{ state(iso3: "RUS") {
    envoysReceived(first: 10) { nodes { key rank person { name }
      sender { __typename ... on Government { key } ... on State { iso3 } }
      credentialsCopy { iso } credentialsCopyReceivedBy { name }
      credentials { iso } credentialsReceivedBy { name } } }
    cooperations(partner: "AFG:islamic-emirate") { totalCount nodes { area { code label } stance date { iso } } } } }
"""  # noqa: E501
