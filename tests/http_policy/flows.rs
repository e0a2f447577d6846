//! End-to-end flows.

use edgecache::http::{CacheOptions, CacheStatus, Lookup, NotStorable, Policy, RevalidateReason};

use super::lookup::{want_of, Want};
use super::{check_all, expect_eq, get, http_date, res, S, T0};
pub(super) type Scenario = (&'static str, fn() -> Result<(), String>);

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        (
            "rfc9111_4_2_4_configured_stale_if_error_default_where_nothing_forbids_stale",
            || {
                let policy = Policy::new(CacheOptions::default().stale_if_error(60));
                let req = get(&[]);
                let sie = |cc: &str, at: u64| {
                    let stored = policy
                        .store(
                            &req,
                            &res(200, &[("Cache-Control", cc), ("ETag", "\"v\"")]),
                            vec![],
                            T0,
                            T0,
                        )
                        .map_err(|e| e.to_string())?;
                    Ok::<_, String>(policy.stale_if_error(&req, &stored, T0 + at * S))
                };
                expect_eq(sie("max-age=10", 30)?, Some(30))?;
                expect_eq(sie("max-age=10", 70)?, Some(70))?;
                expect_eq(sie("max-age=10", 71)?, None)?;
                // The response's own stale-if-error wins, shorter or longer.
                expect_eq(sie("max-age=10, stale-if-error=5", 30)?, None)?;
                expect_eq(sie("max-age=10, stale-if-error=300", 200)?, Some(200))?;
                // What forbids stale use forbids the default too.
                expect_eq(sie("max-age=10, must-revalidate", 30)?, None)?;
                expect_eq(sie("max-age=10, proxy-revalidate", 30)?, None)?;
                expect_eq(sie("s-maxage=10", 30)?, None)?;
                expect_eq(sie("no-cache", 30)?, None)?;
                // Kept in storage long enough to be of use.
                let stored = policy
                    .store(
                        &req,
                        &res(200, &[("Cache-Control", "max-age=10")]),
                        vec![],
                        T0,
                        T0,
                    )
                    .map_err(|e| e.to_string())?;
                expect_eq(policy.useful_until(&stored), Some(T0 + 70 * S))?;
                // Off by default.
                let plain = Policy::default();
                expect_eq(plain.stale_if_error(&req, &stored, T0 + 30 * S), None)
            },
        ),
        (
            "rfc9110_8_6_content_length_is_the_stored_content_length_and_a_304_never_changes_it",
            || {
                let policy = Policy::default();
                let req = get(&[]);
                // The runtime decoded a gzip body: the origin's length is stale.
                let stored = policy
                    .store(
                        &req,
                        &res(
                            200,
                            &[
                                ("Cache-Control", "max-age=0"),
                                ("ETag", "\"a\""),
                                ("Content-Length", "3"),
                            ],
                        ),
                        b"hello".to_vec(),
                        T0,
                        T0,
                    )
                    .map_err(|e| e.to_string())?;
                expect_eq(stored.headers_at(T0).get("content-length"), Some("5"))?;
                let not_modified = res(
                    304,
                    &[("Cache-Control", "max-age=60"), ("Content-Length", "0")],
                );
                let updated = policy
                    .freshen(&stored, &not_modified, T0 + S)
                    .ok_or("a validator-less 304 to our request selects")?;
                let restored = policy
                    .store(&req, &updated, stored.body.clone(), T0, T0 + S)
                    .map_err(|e| e.to_string())?;
                expect_eq(restored.headers_at(T0 + S).get("content-length"), Some("5"))
            },
        ),
        (
            "rfc9111_4_3_4_freshened_response_is_fresh_again_and_revalidated",
            || {
                let policy = Policy::default();
                let req = get(&[]);
                let stored = policy
                    .store(
                        &req,
                        &res(
                            200,
                            &[
                                ("Cache-Control", "max-age=60"),
                                ("ETag", "\"a\""),
                                ("Age", "30"),
                            ],
                        ),
                        b"body".to_vec(),
                        T0,
                        T0,
                    )
                    .map_err(|e| e.to_string())?;
                let t1 = T0 + 120 * S;
                expect_eq(
                    want_of(&policy.lookup(&req, Some(&stored), t1)),
                    Want::Revalidate(RevalidateReason::Stale, false),
                )?;
                let not_modified = res(304, &[("ETag", "\"a\""), ("Date", &http_date(t1))]);
                let updated = policy
                    .freshen(&stored, &not_modified, t1)
                    .ok_or("not selected")?;
                let restored = policy
                    .store(&req, &updated, stored.body.clone(), t1 - S, t1)
                    .map_err(|e| e.to_string())?;
                expect_eq(&restored.body, &stored.body)?;
                // Old Age dropped; 1 s response delay: age 1 + 9 s resident = 10.
                expect_eq(
                    policy.lookup(&req, Some(&restored), t1 + 9 * S),
                    Lookup::Fresh { age_secs: 10 },
                )?;
                expect_eq(CacheStatus::Revalidated.as_str(), "REVALIDATED")
            },
        ),
        (
            "rfc9111_4_3_4_304_adding_set_cookie_not_written_back_by_shared_cache",
            || {
                let policy = Policy::default();
                let req = get(&[]);
                let stored = policy
                    .store(
                        &req,
                        &res(200, &[("Cache-Control", "max-age=60"), ("ETag", "\"a\"")]),
                        vec![],
                        T0,
                        T0,
                    )
                    .map_err(|e| e.to_string())?;
                let updated = policy
                    .freshen(
                        &stored,
                        &res(304, &[("ETag", "\"a\""), ("Set-Cookie", "sid=secret")]),
                        T0 + S,
                    )
                    .ok_or("not selected")?;
                // This client still receives its cookie...
                expect_eq(updated.headers.get("set-cookie"), Some("sid=secret"))?;
                // ...but it is never stored for the next user.
                expect_eq(
                    policy.store(&req, &updated, vec![], T0, T0 + S).err(),
                    Some(NotStorable::SetCookie),
                )
            },
        ),
        (
            "rfc9111_4_3_4_304_adding_no_store_stops_the_write_back",
            || {
                let policy = Policy::default();
                let req = get(&[]);
                let stored = policy
                    .store(
                        &req,
                        &res(200, &[("Cache-Control", "max-age=60"), ("ETag", "\"a\"")]),
                        vec![],
                        T0,
                        T0,
                    )
                    .map_err(|e| e.to_string())?;
                let updated = policy
                    .freshen(
                        &stored,
                        &res(304, &[("ETag", "\"a\""), ("Cache-Control", "no-store")]),
                        T0 + S,
                    )
                    .ok_or("not selected")?;
                expect_eq(
                    policy.store(&req, &updated, vec![], T0, T0 + S).err(),
                    Some(NotStorable::NoStore),
                )
            },
        ),
        (
            "rfc9111_5_2_2_7_qualified_private_fields_removed_before_storage",
            || {
                let policy = Policy::default();
                let stored = policy
                    .store(
                        &get(&[]),
                        &res(
                            200,
                            &[
                                (
                                    "Cache-Control",
                                    "max-age=60, private=\"Set-Cookie, X-User\"",
                                ),
                                ("Set-Cookie", "sid=1"),
                                ("X-User", "ada"),
                                ("X-Public", "1"),
                            ],
                        ),
                        vec![],
                        T0,
                        T0,
                    )
                    .map_err(|e| e.to_string())?;
                expect_eq(
                    (
                        stored.headers.contains("set-cookie"),
                        stored.headers.contains("x-user"),
                        stored.headers.get("x-public"),
                    ),
                    (false, false, Some("1")),
                )
            },
        ),
        (
            "rfc9110_6_6_1_date_added_when_missing_and_replaced_when_invalid",
            || {
                let policy = Policy::default();
                let a = policy
                    .store(
                        &get(&[]),
                        &res(200, &[("Cache-Control", "max-age=60")]),
                        vec![],
                        T0 - S,
                        T0,
                    )
                    .map_err(|e| e.to_string())?;
                let b = policy
                    .store(
                        &get(&[]),
                        &res(
                            200,
                            &[("Cache-Control", "max-age=60"), ("Date", "yesterday")],
                        ),
                        vec![],
                        T0 - S,
                        T0,
                    )
                    .map_err(|e| e.to_string())?;
                let kept = policy
                    .store(
                        &get(&[]),
                        &res(
                            200,
                            &[
                                ("Cache-Control", "max-age=60"),
                                ("Date", &http_date(T0 - 5 * S)),
                            ],
                        ),
                        vec![],
                        T0 - S,
                        T0,
                    )
                    .map_err(|e| e.to_string())?;
                expect_eq(a.headers.get("date").map(String::from), Some(http_date(T0)))?;
                expect_eq(
                    b.headers.get_all("date").collect::<Vec<_>>(),
                    vec![http_date(T0).as_str()],
                )?;
                expect_eq(
                    kept.headers.get("date").map(String::from),
                    Some(http_date(T0 - 5 * S)),
                )
            },
        ),
        (
            "rfc9111_4_1_selecting_request_fields_are_kept_with_the_stored_response",
            || {
                let policy = Policy::default();
                let stored = policy
                    .store(
                        &get(&[
                            ("Accept-Encoding", "gzip"),
                            ("Cookie", "secret"),
                            ("Accept-Language", "fr"),
                        ]),
                        &res(
                            200,
                            &[
                                ("Cache-Control", "max-age=60"),
                                ("Vary", "accept-encoding, Accept-Language"),
                            ],
                        ),
                        vec![],
                        T0,
                        T0,
                    )
                    .map_err(|e| e.to_string())?;
                let mut names: Vec<&str> = stored.request_headers.iter().map(|(n, _)| n).collect();
                names.sort();
                expect_eq(names, vec!["accept-encoding", "accept-language"])
            },
        ),
        (
            "rfc5861_4_stale_if_error_checked_at_the_time_of_the_error",
            || {
                let policy = Policy::default();
                let req = get(&[]);
                let stored = policy
                    .store(
                        &req,
                        &res(
                            200,
                            &[
                                ("Cache-Control", "max-age=60, stale-if-error=60"),
                                ("ETag", "\"a\""),
                            ],
                        ),
                        vec![],
                        T0,
                        T0,
                    )
                    .map_err(|e| e.to_string())?;
                expect_eq(
                    policy.stale_if_error(&req, &stored, T0 + 120 * S),
                    Some(120),
                )?;
                expect_eq(policy.stale_if_error(&req, &stored, T0 + 120 * S + 1), None)?;
                expect_eq(
                    policy.stale_if_error(
                        &get(&[("Cache-Control", "stale-if-error=600")]),
                        &stored,
                        T0 + 600 * S,
                    ),
                    Some(600),
                )
            },
        ),
        (
            "rfc5861_3_stale_while_revalidate_carries_the_background_revalidation",
            || {
                let policy = Policy::default();
                let req = get(&[]);
                let stored = policy
                    .store(
                        &req,
                        &res(
                            200,
                            &[
                                (
                                    "Cache-Control",
                                    "max-age=60, stale-while-revalidate=30, stale-if-error=600",
                                ),
                                ("ETag", "\"a\""),
                            ],
                        ),
                        vec![],
                        T0,
                        T0,
                    )
                    .map_err(|e| e.to_string())?;
                match policy.lookup(&req, Some(&stored), T0 + 70 * S) {
                    Lookup::StaleWhileRevalidate {
                        age_secs: 70,
                        revalidation,
                    } => {
                        expect_eq(revalidation.headers.get("if-none-match"), Some("\"a\""))?;
                        expect_eq(revalidation.stale_if_error, true)
                    }
                    other => Err(format!("got {other:?}")),
                }
            },
        ),
        (
            "rfc9111_3_useful_until_is_the_end_of_freshness_plus_stale_windows",
            || {
                let policy = Policy::default();
                let stored = policy
                    .store(
                        &get(&[]),
                        &res(
                            200,
                            &[
                                ("Cache-Control", "max-age=60, stale-while-revalidate=30"),
                                ("Age", "10"),
                            ],
                        ),
                        vec![],
                        T0,
                        T0,
                    )
                    .map_err(|e| e.to_string())?;
                expect_eq(policy.useful_until(&stored), Some(T0 + 80 * S))?;
                let with_validator = policy
                    .store(
                        &get(&[]),
                        &res(200, &[("Cache-Control", "max-age=60"), ("ETag", "\"a\"")]),
                        vec![],
                        T0,
                        T0,
                    )
                    .map_err(|e| e.to_string())?;
                expect_eq(policy.useful_until(&with_validator), None)
            },
        ),
        (
            "rfc9111_3_5_authenticated_public_response_does_not_leak_set_cookie",
            || {
                // Security: even when Authorization is allowed by public, a shared
                // cache does not store a per-user Set-Cookie.
                let policy = Policy::default();
                expect_eq(
                    policy.storable(
                        &get(&[("Authorization", "Bearer a")]),
                        &res(
                            200,
                            &[
                                ("Cache-Control", "public, max-age=60"),
                                ("Set-Cookie", "sid=a"),
                            ],
                        ),
                        T0,
                    ),
                    Err(NotStorable::SetCookie),
                )
            },
        ),
    ]
}

#[test]
fn end_to_end_flows() {
    check_all(&scenarios(), |s| s.0, |s| (s.1)());
}
