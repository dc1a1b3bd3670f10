//! Request bodies: bounded in time, and never waited for after an early answer.
//!
//! actix-http drains a chunked body its handler dropped unread (a 401 answered before the body
//! was read, say) without any timer: a client that sends one chunk and then nothing holds the
//! connection forever (`h1::dispatcher`'s `should_close_for_unread_payload` is false for a
//! dropped chunked body, and neither the request timeout, which covers the head, nor
//! keep-alive applies while a payload is pending). So every request's payload is held here
//! until its response is written: actix then sees a body still unread, answers
//! `Connection: close`, lingers `client_disconnect_timeout` and closes. A handler that reads
//! the body reads it through a deadline of [`BODY_DEADLINE`] from the head: past it, the read
//! fails and the answer is a 408 (with `Connection: close`, as above).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, ResponseError};
use futures_util::Stream;
use tokio::time::{Instant, Sleep};

use crate::errors::ApiError;

/// The longest a request's body may take to arrive, counted from its head.
pub const BODY_DEADLINE: Duration = Duration::from_secs(10);

/// The request's payload, shared by the stream handlers read and the response that holds it.
struct Held {
    payload: RefCell<Payload>,
    timed_out: Cell<bool>,
}

/// What handlers read instead of the payload: the same bytes, or an error once the deadline
/// passed.
struct Deadlined {
    held: Rc<Held>,
    deadline: Instant,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl Stream for Deadlined {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.held.timed_out.get() {
            return Poll::Ready(None);
        }
        let polled = Pin::new(&mut *this.held.payload.borrow_mut()).poll_next(cx);
        if polled.is_ready() {
            return polled;
        }
        let deadline = this.deadline;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => {
                this.held.timed_out.set(true);
                Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the request body did not arrive in time",
                )))))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// A response body that owns the request's payload until actix drops it (after writing it).
/// It must never be boxed: `BoxBody::new` replaces a body of no size with an empty one,
/// dropping the payload with it.
pub struct HoldingBody {
    body: BoxBody,
    _request_body: Option<Rc<Held>>,
}

impl std::fmt::Debug for HoldingBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HoldingBody").finish_non_exhaustive()
    }
}

impl MessageBody for HoldingBody {
    type Error = <BoxBody as MessageBody>::Error;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.body).poll_next(cx)
    }
}

/// The outermost middleware: the body's deadline, and the payload held until the answer is
/// written.
pub async fn bounded_body(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<HoldingBody>, Error> {
    let held = match request.parts_mut().1.take() {
        Payload::None => None,
        payload => {
            let held = Rc::new(Held {
                payload: RefCell::new(payload),
                timed_out: Cell::new(false),
            });
            request.set_payload(Payload::Stream {
                payload: Box::pin(Deadlined {
                    held: Rc::clone(&held),
                    deadline: Instant::now() + BODY_DEADLINE,
                    sleep: None,
                }),
            });
            Some(held)
        }
    };
    let mut response = next.call(request).await?.map_into_boxed_body();
    if held.as_ref().is_some_and(|held| held.timed_out.get()) {
        response = response
            .into_response(ApiError::Rejected(StatusCode::REQUEST_TIMEOUT).error_response());
    }
    Ok(response.map_body(|_, body| HoldingBody {
        body,
        _request_body: held,
    }))
}
