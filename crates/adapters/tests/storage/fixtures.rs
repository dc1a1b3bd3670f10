//! Rows to store, built with as little ceremony as the tests need.

use std::time::Duration;

use admin_adapters::Database;
use admin_domain::*;

pub fn at(micros: i64) -> Timestamp {
    Timestamp::from_unix_micros(1_764_000_000_000_000 + micros)
}

pub fn user(n: usize, created_at: Timestamp) -> User {
    User {
        id: UserId::generate(),
        email: Email::parse(&format!(
            "user{n}-{}@example.com",
            UserId::generate().as_uuid().simple()
        ))
        .unwrap(),
        display_name: n
            .is_multiple_of(2)
            .then(|| Name::parse(&format!("User {n}")).unwrap()),
        is_active: true,
        created_at,
    }
}

pub fn organization(slug: &str, is_platform: bool) -> Organization {
    Organization {
        id: OrganizationId::generate(),
        name: Name::parse(&format!("Org {slug}")).unwrap(),
        slug: Slug::parse(slug).unwrap(),
        is_platform,
        created_at: Timestamp::now(),
    }
}

pub fn workspace(organization: OrganizationId, slug: &str, created_at: Timestamp) -> Workspace {
    Workspace {
        id: WorkspaceId::generate(),
        organization_id: organization,
        name: Name::parse(&format!("Workspace {slug}")).unwrap(),
        slug: Slug::parse(slug).unwrap(),
        created_at,
    }
}

pub fn token(user: UserId, expires_at: Timestamp, revoked_at: Option<Timestamp>) -> TokenRecord {
    TokenRecord {
        id: TokenId::generate(),
        user_id: user,
        organization_id: None,
        revocation_id: RevocationId::parse(&format!("{}", TokenId::generate().as_uuid().simple()))
            .unwrap(),
        issued_at: expires_at.saturating_sub(Duration::from_secs(3_600)),
        expires_at,
        revoked_at,
    }
}

pub async fn stored_user(db: &Database) -> User {
    let user = user(0, Timestamp::now());
    db.add_users(std::slice::from_ref(&user), &[])
        .await
        .expect("user stored");
    user
}

pub async fn stored_organization(db: &Database, slug: &str, is_platform: bool) -> Organization {
    let organization = organization(slug, is_platform);
    db.add_organizations(std::slice::from_ref(&organization), &[])
        .await
        .expect("organization stored");
    organization
}

pub async fn member(db: &Database, user: UserId, organization: OrganizationId, role: Role) {
    let membership = Membership {
        user_id: user,
        organization_id: organization,
        role,
        joined_at: Timestamp::now(),
    };
    db.set_memberships(&[membership], &[])
        .await
        .expect("membership stored");
}

pub fn hours(n: u64) -> Duration {
    Duration::from_secs(n * 3_600)
}

/// Every page of a listing, `limit` rows at a time in `order`, each read by `read`, calling
/// `between` after each page; checks each cursor continues this listing in this order.
pub async fn walk<T: Listed>(
    listing: Listing,
    order: Order,
    limit: usize,
    mut read: impl AsyncFnMut(Seek) -> Rows<T>,
    mut between: impl AsyncFnMut(),
) -> Vec<T> {
    let mut seen = Vec::new();
    let mut request = PageRequest {
        order,
        limit: Limit::new(limit as i64).unwrap(),
        ..PageRequest::first(listing)
    };
    loop {
        let page = Page::from_rows(&request, read(request.seek()).await);
        seen.extend(page.items);
        let Some(text) = page.next_cursor else {
            return seen;
        };
        let cursor = Cursor::decode(listing, &text).expect("a cursor of this listing");
        assert_eq!((cursor.listing, cursor.order), (listing, order));
        request.after = Some(cursor.after);
        between().await;
    }
}

/// The total a listing reports: read beside its first page and again beside a page past its
/// end, which must agree (a kept total is read in the page's statement, or alone when the page
/// is empty).
pub async fn total<T>(mut read: impl AsyncFnMut(Seek) -> Rows<T>) -> u64 {
    let first = Seek {
        order: Order::Asc,
        after: Position::FIRST,
        rows: 3,
        total: true,
    };
    let beside = read(first).await.total.expect("a total, asked for");
    let past = read(Seek {
        after: Position::LAST,
        ..first
    })
    .await;
    assert!(past.rows.is_empty(), "a page past the end");
    assert_eq!(past.total, Some(beside), "the total beside an empty page");
    beside
}

/// Whether `rows` run strictly in `order` by (creation time, id).
pub fn strictly_ordered<T: Listed>(rows: &[T], order: Order) -> bool {
    let key = |row: &T| (row.position().at, row.position().id);
    rows.windows(2).all(|w| match order {
        Order::Asc => key(&w[0]) < key(&w[1]),
        Order::Desc => key(&w[0]) > key(&w[1]),
    })
}

/// An event of `action` from the CLI, to hand a port that records one.
pub fn event(action: Action) -> AuditEntry {
    AuditEntry::new(&Origin::Cli, action, None, Details::new())
}
