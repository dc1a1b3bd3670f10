//! For tests of code built on the rules (this crate's, the HTTP edge's, a sibling service's):
//! a mock of every port, ready to take expectations, and what async expectations return.
//!
//! ```
//! use admin_domain::mocks::{World, ready};
//! use admin_domain::{AuthFailure, BearerToken, Permission};
//!
//! let mut world = World::default();
//! world
//!     .authority
//!     .expect_verify()
//!     .returning(|_| ready(Err(AuthFailure::Malformed.into())));
//! let service = world.service();
//! let token = BearerToken::parse("not-ours").unwrap();
//! # let outcome = tokio::runtime::Builder::new_current_thread().build().unwrap()
//! #     .block_on(service.authenticate(&token, Permission::UsersList));
//! # assert!(outcome.is_err());
//! ```

use std::future::Future;
use std::pin::Pin;

use crate::ports::{
    MockAdminAccess, MockAuditTrail, MockPlatformDirectory, MockPorts, MockTokenAuthority,
    MockTokenStore,
};
use crate::service::{AdminService, Provisioning, Settings};

/// A boxed ready future: what a mocked async port method returns.
pub fn ready<T: Send + 'static>(value: T) -> Pin<Box<dyn Future<Output = T> + Send>> {
    Box::pin(std::future::ready(value))
}

/// The mocked ports, to set expectations on before building a service from them.
#[derive(Default)]
pub struct World {
    /// Admin access.
    pub access: MockAdminAccess,
    /// The token store.
    pub tokens: MockTokenStore,
    /// The platform directory.
    pub directory: MockPlatformDirectory,
    /// Token verification.
    pub authority: MockTokenAuthority,
    /// The audit trail.
    pub trail: MockAuditTrail,
    /// The rules' settings.
    pub settings: Settings,
}

impl std::fmt::Debug for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("World")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl World {
    /// The use cases over these mocks.
    pub fn service(self) -> AdminService<MockPorts> {
        AdminService::new(
            self.access,
            self.tokens,
            self.directory,
            self.authority,
            self.trail,
            self.settings,
        )
    }

    /// The provisioning commands over these mocks' directory, token store and trail.
    pub fn provisioning(
        self,
    ) -> Provisioning<MockPlatformDirectory, MockTokenStore, MockAuditTrail> {
        Provisioning::new(self.directory, self.tokens, self.trail)
    }
}
