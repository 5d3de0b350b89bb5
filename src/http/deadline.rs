//! A request's body must arrive within `BODY_TIMEOUT_SECS` of its head: a client that sends
//! a few bytes a minute would otherwise hold a connection and a worker's attention forever
//! (actix-web already limits the time to the end of the head).

use std::cell::Cell;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::rt::time::{sleep_until, Instant, Sleep};
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpResponse};
use futures_util::Stream;

use super::State;
use crate::error::ErrorBody;

/// The body stream of a request, ended by an error once its time is up.
struct Timed {
    inner: Payload,
    deadline: Pin<Box<Sleep>>,
    /// Set once the time is up, for the answer to say so whatever read the body.
    over: Rc<Cell<bool>>,
}

impl Stream for Timed {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.over.get() {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.over.set(true);
                Poll::Ready(Some(Err(PayloadError::Io(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the request's body took too long to arrive",
                )))))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Puts a deadline on the request's body; past it, whatever read the body, the answer is
/// 408 `request_timeout` and the connection is closed.
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let limit = req
        .app_data::<State>()
        .map(|s| s.config.body_timeout)
        .unwrap_or(std::time::Duration::from_secs(60));
    let over = Rc::new(Cell::new(false));
    let timed = Timed {
        inner: req.take_payload(),
        deadline: Box::pin(sleep_until(Instant::now() + limit)),
        over: over.clone(),
    };
    req.set_payload(Payload::Stream {
        payload: Box::pin(timed),
    });
    let res = next.call(req).await?;
    if !over.get() {
        return Ok(res.map_into_left_body());
    }
    let message = format!(
        "the request's body took more than {} s to arrive; send it again on a faster connection",
        limit.as_secs()
    );
    let answer = HttpResponse::RequestTimeout()
        .force_close()
        .json(ErrorBody {
            error: "request_timeout",
            message: &message,
        });
    let (req, _) = res.into_parts();
    Ok(ServiceResponse::new(req, answer).map_into_right_body())
}
