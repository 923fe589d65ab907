//! The Sigstore public-good production trust material, as constants.
//!
//! These are the public keys and certificates of the public-good instance (Rekor v1 and the
//! 2025 Rekor v2 log, the Fulcio CAs, the CT logs, the timestamp authority) with their validity
//! windows, as published in its `trusted_root.json` (TUF target, snapshot of late 2025). Public
//! facts, restated here so that offline verification has a default; a deployment that refreshes
//! its trust root through TUF should pass that file to [`TrustedRoot::from_json`] instead.

use super::{CertificateAuthority, PublicKey, TransparencyLog, TrustedRoot, Validity, time};

struct Log {
    base_url: &'static str,
    key_details: &'static str,
    spki: &'static str,
    log_id: &'static str,
    start: &'static str,
    end: Option<&'static str>,
}

struct Authority {
    uri: &'static str,
    certificates: &'static [&'static str],
    start: &'static str,
    end: Option<&'static str>,
}
const TLOGS: &[Log] = &[
    Log {
        base_url: "https://rekor.sigstore.dev",
        key_details: "PKIX_ECDSA_P256_SHA_256",
        spki: concat!(
            "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9fAFwrkBbmLSGtks4L3qX6yYY0zufBnhC8Ur/i",
            "y55GhWP/9A/bY2LhC30M9+RYtw==",
        ),
        log_id: "wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=",
        start: "2021-01-12T11:53:27Z",
        end: None,
    },
    Log {
        base_url: "https://log2025-1.rekor.sigstore.dev",
        key_details: "PKIX_ED25519",
        spki: "MCowBQYDK2VwAyEAt8rlp1knGwjfbcXAYPYAkn0XiLz1x8O4t0YkEhie244=",
        log_id: "zxGZFVvd0FEmjR8WrFwMdcAJ9vtaY/QXf44Y1wUeP6A=",
        start: "2025-09-23T00:00:00Z",
        end: None,
    },
];

const CTLOGS: &[Log] = &[
    Log {
        base_url: "https://ctfe.sigstore.dev/test",
        key_details: "PKIX_ECDSA_P256_SHA_256",
        spki: concat!(
            "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEbfwR+RJudXscgRBRpKX1XFDy3PyudDxz/SfnRi1fT8ekpfBd2O1uoz7jr3Z8",
            "nKzxA69EUQ+eFCFI3zeubPWU7w==",
        ),
        log_id: "CGCS8ChS/2hF0dFrJ4ScRWcYrBY9wzjSbea8IgY2b3I=",
        start: "2021-03-14T00:00:00Z",
        end: Some("2022-10-31T23:59:59.999Z"),
    },
    Log {
        base_url: "https://ctfe.sigstore.dev/2022",
        key_details: "PKIX_ECDSA_P256_SHA_256",
        spki: concat!(
            "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEiPSlFi0CmFTfEjCUqF9HuCEcYXNKAaYalIJmBZ8yyezPjTqhxrKBpMnaocVt",
            "LJBI1eM3uXnQzQGAJdJ4gs9Fyw==",
        ),
        log_id: "3T0wasbHETJjGR4cmWc3AqJKXrjePK3/h4pygC8p7o4=",
        start: "2022-10-20T00:00:00Z",
        end: None,
    },
];

const CERTIFICATE_AUTHORITIES: &[Authority] = &[
    Authority {
        uri: "https://fulcio.sigstore.dev",
        certificates: &[concat!(
            "MIIB+DCCAX6gAwIBAgITNVkDZoCiofPDsy7dfm6geLbuhzAKBggqhkjOPQQDAzAqMRUwEwYDVQQKEwxzaWdzdG9yZS5kZXYx",
            "ETAPBgNVBAMTCHNpZ3N0b3JlMB4XDTIxMDMwNzAzMjAyOVoXDTMxMDIyMzAzMjAyOVowKjEVMBMGA1UEChMMc2lnc3RvcmUu",
            "ZGV2MREwDwYDVQQDEwhzaWdzdG9yZTB2MBAGByqGSM49AgEGBSuBBAAiA2IABLSyA7Ii5k+pNO8ZEWY0ylemWDowOkNa3kL+",
            "GZE5Z5GWehL9/A9bRNA3RbrsZ5i0JcastaRL7Sp5fp/jD5dxqc/UdTVnlvS16an+2Yfswe/QuLolRUCrcOE2+2iA5+tzd6Nm",
            "MGQwDgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYBAf8CAQEwHQYDVR0OBBYEFMjFHQBBmiQpMlEk6w2uSu1KBtPsMB8G",
            "A1UdIwQYMBaAFMjFHQBBmiQpMlEk6w2uSu1KBtPsMAoGCCqGSM49BAMDA2gAMGUCMH8liWJfMui6vXXBhjDgY4MwslmN/TJx",
            "Ve/83WrFomwmNf056y1X48F9c4m3a3ozXAIxAKjRay5/aj/jsKKGIkmQatjI8uupHr/+CxFvaJWmpYqNkLDGRU+9orzh5hI2",
            "RrcuaQ==",
        )],
        start: "2021-03-07T03:20:29Z",
        end: Some("2022-12-31T23:59:59.999Z"),
    },
    Authority {
        uri: "https://fulcio.sigstore.dev",
        certificates: &[
            concat!(
                "MIICGjCCAaGgAwIBAgIUALnViVfnU0brJasmRkHrn/UnfaQwCgYIKoZIzj0EAwMwKjEVMBMGA1UEChMMc2lnc3RvcmUuZGV2",
                "MREwDwYDVQQDEwhzaWdzdG9yZTAeFw0yMjA0MTMyMDA2MTVaFw0zMTEwMDUxMzU2NThaMDcxFTATBgNVBAoTDHNpZ3N0b3Jl",
                "LmRldjEeMBwGA1UEAxMVc2lnc3RvcmUtaW50ZXJtZWRpYXRlMHYwEAYHKoZIzj0CAQYFK4EEACIDYgAE8RVS/ysH+NOvuDZy",
                "PIZtilgUF9NlarYpAd9HP1vBBH1U5CV77LSS7s0ZiH4nE7Hv7ptS6LvvR/STk798LVgMzLlJ4HeIfF3tHSaexLcYpSASr1kS",
                "0N/RgBJz/9jWCiXno3sweTAOBgNVHQ8BAf8EBAMCAQYwEwYDVR0lBAwwCgYIKwYBBQUHAwMwEgYDVR0TAQH/BAgwBgEB/wIB",
                "ADAdBgNVHQ4EFgQU39Ppz1YkEZb5qNjpKFWixi4YZD8wHwYDVR0jBBgwFoAUWMAeX5FFpWapesyQoZMi0CrFxfowCgYIKoZI",
                "zj0EAwMDZwAwZAIwPCsQK4DYiZYDPIaDi5HFKnfxXx6ASSVmERfsynYBiX2X6SJRnZU84/9DZdnFvvxmAjBOt6QpBlc4J/0D",
                "xvkTCqpclvziL6BCCPnjdlIB3Pu3BxsPmygUY7Ii2zbdCdliiow=",
            ),
            concat!(
                "MIIB9zCCAXygAwIBAgIUALZNAPFdxHPwjeDloDwyYChAO/4wCgYIKoZIzj0EAwMwKjEVMBMGA1UEChMMc2lnc3RvcmUuZGV2",
                "MREwDwYDVQQDEwhzaWdzdG9yZTAeFw0yMTEwMDcxMzU2NTlaFw0zMTEwMDUxMzU2NThaMCoxFTATBgNVBAoTDHNpZ3N0b3Jl",
                "LmRldjERMA8GA1UEAxMIc2lnc3RvcmUwdjAQBgcqhkjOPQIBBgUrgQQAIgNiAAT7XeFT4rb3PQGwS4IajtLk3/OlnpgangaB",
                "clYpsYBr5i+4ynB07ceb3LP0OIOZdxexX69c5iVuyJRQ+Hz05yi+UF3uBWAlHpiS5sh0+H2GHE7SXrk1EC5m1Tr19L9gg92j",
                "YzBhMA4GA1UdDwEB/wQEAwIBBjAPBgNVHRMBAf8EBTADAQH/MB0GA1UdDgQWBBRYwB5fkUWlZql6zJChkyLQKsXF+jAfBgNV",
                "HSMEGDAWgBRYwB5fkUWlZql6zJChkyLQKsXF+jAKBggqhkjOPQQDAwNpADBmAjEAj1nHeXZp+13NWBNa+EDsDP8G1WWg1tCM",
                "WP/WHPqpaVo0jhsweNFZgSs0eE7wYI4qAjEA2WB9ot98sIkoF3vZYdd3/VtWB5b9TNMea7Ix/stJ5TfcLLeABLE4BNJOsQ4v",
                "nBHJ",
            ),
        ],
        start: "2022-04-13T20:06:15Z",
        end: None,
    },
];

const TIMESTAMP_AUTHORITIES: &[Authority] = &[Authority {
    uri: "https://timestamp.sigstore.dev/api/v1/timestamp",
    certificates: &[
        concat!(
            "MIICEDCCAZagAwIBAgIUOhNULwyQYe68wUMvy4qOiyojiwwwCgYIKoZIzj0EAwMwOTEVMBMGA1UEChMMc2lnc3RvcmUuZGV2",
            "MSAwHgYDVQQDExdzaWdzdG9yZS10c2Etc2VsZnNpZ25lZDAeFw0yNTA0MDgwNjU5NDNaFw0zNTA0MDYwNjU5NDNaMC4xFTAT",
            "BgNVBAoTDHNpZ3N0b3JlLmRldjEVMBMGA1UEAxMMc2lnc3RvcmUtdHNhMHYwEAYHKoZIzj0CAQYFK4EEACIDYgAE4ra2Z8hK",
            "Nig2T9kFjCAToGG30jky+WQv3BzL+mKvh1SKNR/UwuwsfNCg4sryoYAd8E6isovVA3M4aoNdm9QDi50Z8nTEyvqgfDPtTIwX",
            "ItfiW/AFf1V7uwkbkAoj0xxco2owaDAOBgNVHQ8BAf8EBAMCB4AwHQYDVR0OBBYEFIn9eUOHz9BlRsMCRscsc1t9tOsDMB8G",
            "A1UdIwQYMBaAFJjsAe9/u1H/1JUeb4qImFMHic6/MBYGA1UdJQEB/wQMMAoGCCsGAQUFBwMIMAoGCCqGSM49BAMDA2gAMGUC",
            "MDtpsV/6KaO0qyF/UMsX2aSUXKQFdoGTptQGc0ftq1csulHPGG6dsmyMNd3JB+G3EQIxAOajvBcjpJmKb4Nv+2Taoj8Uc5+b",
            "6ih6FXCCKraSqupe07zqswMcXJTe1cExvHvvlw==",
        ),
        concat!(
            "MIIB9zCCAXygAwIBAgIUV7f0GLDOoEzIh8LXSW80OJiUp14wCgYIKoZIzj0EAwMwOTEVMBMGA1UEChMMc2lnc3RvcmUuZGV2",
            "MSAwHgYDVQQDExdzaWdzdG9yZS10c2Etc2VsZnNpZ25lZDAeFw0yNTA0MDgwNjU5NDNaFw0zNTA0MDYwNjU5NDNaMDkxFTAT",
            "BgNVBAoTDHNpZ3N0b3JlLmRldjEgMB4GA1UEAxMXc2lnc3RvcmUtdHNhLXNlbGZzaWduZWQwdjAQBgcqhkjOPQIBBgUrgQQA",
            "IgNiAAQUQNtfRT/ou3YATa6wB/kKTe70cfJwyRIBovMnt8RcJph/COE82uyS6FmppLLL1VBPGcPfpQPYJNXzWwi8icwhKQ6W",
            "/Qe2h3oebBb2FHpwNJDqo+TMaC/tdfkv/ElJB72jRTBDMA4GA1UdDwEB/wQEAwIBBjASBgNVHRMBAf8ECDAGAQH/AgEAMB0G",
            "A1UdDgQWBBSY7AHvf7tR/9SVHm+KiJhTB4nOvzAKBggqhkjOPQQDAwNpADBmAjEAwGEGrfGZR1cen1R8/DTVMI943LssZmJR",
            "tDp/i7SfGHmGRP6gRbuj9vOK3b67Z0QQAjEAuT2H673LQEaHTcyQSZrkp4mX7WwkmF+sVbkYY5mXN+RMH13KUEHHOqASaemY",
            "WK/E",
        ),
    ],
    start: "2025-07-04T00:00:00Z",
    end: None,
}];

fn b64(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap_or_default()
}

fn validity(start: &str, end: Option<&str>) -> Validity {
    Validity {
        start: time::parse_rfc3339(start),
        end: end.and_then(time::parse_rfc3339),
    }
}

fn logs(logs: &[Log]) -> Vec<TransparencyLog> {
    logs.iter()
        .map(|log| TransparencyLog {
            base_url: log.base_url.to_owned(),
            key: PublicKey::from_spki_der(&b64(log.spki)).ok(),
            key_details: log.key_details.to_owned(),
            log_id: b64(log.log_id),
            checkpoint_key_id: None,
            validity: validity(log.start, log.end),
        })
        .collect()
}

fn authorities(authorities: &[Authority]) -> Vec<CertificateAuthority> {
    authorities
        .iter()
        .map(|authority| CertificateAuthority {
            uri: authority.uri.to_owned(),
            certificates: authority.certificates.iter().map(|c| b64(c)).collect(),
            validity: validity(authority.start, authority.end),
        })
        .collect()
}

pub(super) fn trusted_root() -> TrustedRoot {
    TrustedRoot {
        tlogs: logs(TLOGS),
        certificate_authorities: authorities(CERTIFICATE_AUTHORITIES),
        ctlogs: logs(CTLOGS),
        timestamp_authorities: authorities(TIMESTAMP_AUTHORITIES),
    }
}
