//! Cursors, limits, pages and totals, by their rules.

use super::*;

fn user(micros: i64) -> User {
    User {
        id: UserId::generate(),
        email: crate::inputs::Email::parse(&format!("u{micros}@example.com")).expect("an email"),
        display_name: None,
        is_active: true,
        created_at: Timestamp::from_unix_micros(micros),
    }
}

fn cursor(listing: Listing, order: Order) -> Cursor {
    Cursor {
        listing,
        order,
        after: Position {
            at: Timestamp::from_unix_micros(1_700_000_000_000_001),
            id: Uuid::new_v4(),
        },
    }
}

#[test]
fn cursors_round_trip_for_their_own_listing_and_order() {
    let organization = OrganizationId::generate();
    for listing in [
        Listing::Users,
        Listing::Members(organization),
        Listing::AuditEvents,
    ] {
        for order in Order::ALL {
            let cursor = cursor(listing, order);
            assert_eq!(Cursor::decode(listing, &cursor.encode()), Some(cursor));
        }
    }
    let text = cursor(Listing::Users, Order::Asc).encode();
    assert_eq!(Cursor::decode(Listing::Workspaces, &text), None);
}

#[test]
fn a_sub_listings_cursor_names_its_parent() {
    let (one, other) = (OrganizationId::generate(), OrganizationId::generate());
    let text = cursor(Listing::Members(one), Order::Desc).encode();
    let decoded = Cursor::decode(Listing::Members(other), &text).map(|c| c.listing);
    assert_eq!(decoded, Some(Listing::Members(one)));
    assert_eq!(
        Cursor::decode(Listing::Memberships(UserId::generate()), &text),
        None
    );
}

#[test]
fn malformed_cursors_are_refused() {
    let valid = cursor(Listing::Users, Order::Asc).encode();
    let upper = valid.to_uppercase();
    let short = &valid[..48];
    for text in ["", "!!!", "dS4xLjI", &"7".repeat(50), upper.as_str(), short] {
        assert_eq!(Cursor::decode(Listing::Users, text), None, "{text}");
    }
}

#[test]
fn every_string_matching_the_pattern_is_a_cursor() {
    for (tag, order) in [("75", Order::Asc), ("55", Order::Desc)] {
        for digit in ["0", "f", "7"] {
            let text = format!("{tag}{}", digit.repeat(48));
            let cursor = Cursor::decode(Listing::Users, &text).expect("decodes");
            assert_eq!(cursor.order, order);
            assert!(Timestamp::MIN <= cursor.after.at && cursor.after.at <= Timestamp::MAX);
        }
    }
    assert_eq!(Listing::Users.cursor_pattern(), "^(75|55)[0-9a-f]{48}$");
    let encoded = cursor(Listing::Organizations, Order::Asc).encode();
    assert!(encoded.starts_with("6f") && encoded.len() == 50);
    let members = cursor(Listing::Members(OrganizationId::generate()), Order::Desc).encode();
    assert!(members.starts_with("4d") && members.len() == 82);
}

#[test]
fn limit_defaults_to_50_and_stays_within_1_and_200() {
    assert_eq!(Limit::DEFAULT.get(), 50);
    assert_eq!(Limit::new(1).map(Limit::get), Ok(1));
    assert_eq!(Limit::new(200).map(Limit::get), Ok(200));
    assert_eq!(Limit::new(0), Err(LimitError::TooSmall));
    assert_eq!(Limit::new(201), Err(LimitError::TooLarge));
}

#[test]
fn a_page_with_an_extra_row_has_a_cursor_to_its_last_item() {
    let request = PageRequest {
        limit: Limit::new(2).unwrap_or(Limit::DEFAULT),
        order: Order::Desc,
        ..PageRequest::first(Listing::Users)
    };
    let rows = vec![user(3), user(2), user(1)];
    let last_kept = rows[1].position();
    let page = Page::from_rows(
        &request,
        Rows {
            rows,
            total: Some(3),
        },
    );
    assert_eq!(page.items.len(), 2);
    let next = page
        .next_cursor
        .and_then(|c| Cursor::decode(Listing::Users, &c));
    assert_eq!(
        next,
        Some(Cursor {
            listing: Listing::Users,
            order: Order::Desc,
            after: last_kept
        })
    );
    assert_eq!(page.total, Some(3));
}

#[test]
fn the_last_page_has_no_cursor() {
    let rows = Rows {
        rows: vec![user(1)],
        total: None,
    };
    let page = Page::from_rows(&PageRequest::first(Listing::Users), rows);
    assert_eq!(page.next_cursor, None);
    assert_eq!(page.limit, 50);
}

#[test]
fn a_listing_starts_before_every_row_of_its_order() {
    let seek = |order| {
        PageRequest {
            order,
            ..PageRequest::first(Listing::Users)
        }
        .seek()
    };
    assert_eq!(seek(Order::Asc).after, Position::FIRST);
    assert_eq!(seek(Order::Desc).after, Position::LAST);
    assert_eq!(seek(Order::Asc).rows, 51);
    assert!(!seek(Order::Asc).total);
}

#[test]
fn a_seek_asks_for_the_total_when_the_request_does() {
    let request = PageRequest {
        include_total: true,
        ..PageRequest::first(Listing::Users)
    };
    assert!(request.seek().total);
    let rows = Rows::new(&request.seek(), vec![user(1)], || 7);
    assert_eq!(rows.total, Some(7));
    let rows = Rows::new(
        &PageRequest::first(Listing::Users).seek(),
        vec![user(1)],
        || 7,
    );
    assert_eq!(rows.total, None);
}
