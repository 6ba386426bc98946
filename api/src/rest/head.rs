//! `HEAD` is answered as `GET` would be, without the body, as HTTP asks: a client can
//! check a resource or an export's headers without fetching it.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

pub(crate) async fn as_get(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let head = request.method() == Method::HEAD;
    if head {
        request.head_mut().method = Method::GET;
    }
    let response = next.call(request).await?;
    Ok(if head {
        response.map_body(|_, _| BoxBody::new(()))
    } else {
        response.map_into_boxed_body()
    })
}
