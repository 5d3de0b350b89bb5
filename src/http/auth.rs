//! Bearer tokens: the extractor that turns one into an [`Actor`], and token creation.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::throttle::Attempt;
use super::views::ErrorView;
use super::{auth_lookup, throttle, write, AppState, State};
use crate::db::audit::By;
use crate::db::auth::{actor_for_token, create_token as new_token, revoke_tokens, Revoke};
use crate::db::catalog::now;
use crate::domain::roles::{Actor, Role};
use crate::error::AppError;

/// The signed-in user of a request, with the id of the token it used.
#[derive(Clone)]
pub struct Authed {
    pub actor: Actor,
    pub token_id: String,
}

impl Authed {
    /// Refuses users who do not manage the loop.
    pub fn manager(&self, what: &str) -> Result<(), AppError> {
        if self.actor.role.manages_loop() {
            Ok(())
        } else {
            Err(AppError::forbidden(format!(
                "only coordinators may {what}; you are signed in as {}",
                self.actor.role.as_str()
            )))
        }
    }

    /// Refuses users bound to another site.
    pub fn at_site(&self, site_id: &str) -> Result<(), AppError> {
        if self.actor.may_act_at(site_id) {
            Ok(())
        } else {
            Err(AppError::forbidden(format!(
                "your account acts only at site {}, not at site {site_id}",
                self.actor.site_id.as_deref().unwrap_or("(none)")
            )))
        }
    }
}

/// Routes of `/api/v1` open without a token.
pub fn is_public(method: &str, path: &str) -> bool {
    matches!(
        (method, path),
        ("GET", "/api/v1/health")
            | ("POST", "/api/v1/auth/token")
            | ("GET", "/api/v1/openapi.json")
    )
}

/// Middleware: every route but the public ones needs a valid bearer token, checked before
/// anything else of the request is read, so that a caller without one learns only that.
pub async fn require_token(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if !is_public(req.method().as_str(), req.path()) {
        let authed = authenticate(req.request()).await?;
        req.extensions_mut().insert(authed);
    }
    next.call(req).await
}

async fn authenticate(req: &HttpRequest) -> Result<Authed, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))?;
    let token = match req.headers().get(actix_web::http::header::AUTHORIZATION).map(|h| h.to_str()) {
        Some(Ok(value)) => match value.strip_prefix("Bearer ") {
            Some(token) if !token.trim().is_empty() => token.trim().to_owned(),
            _ => return Err(AppError::unauthorized("the Authorization header must be \"Bearer <token>\"")),
        },
        Some(Err(_)) => return Err(AppError::unauthorized("the Authorization header is not readable text")),
        None => return Err(AppError::unauthorized("sign in first: send Authorization: Bearer <token> (get one with POST /api/v1/auth/token)")),
    };
    let found = auth_lookup(&state, move |conn| Ok(actor_for_token(conn, &token)?)).await?;
    match found {
        Some((actor, token_id)) => Ok(Authed { actor, token_id }),
        None => Err(AppError::unauthorized(
            "this token is unknown or revoked; ask for a new one",
        )),
    }
}

impl FromRequest for Authed {
    type Error = AppError;
    type Future = std::future::Ready<Result<Authed, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(req.extensions().get::<Authed>().cloned().ok_or_else(|| {
            AppError::unauthorized("sign in first: send Authorization: Bearer <token>")
        }))
    }
}

#[derive(Deserialize, ToSchema)]
pub struct TokenRequest {
    email: String,
    password: String,
    /// The device or script that will use the token, e.g. "till 1".
    name: String,
}

/// The signed-in user a token acts for.
#[derive(Serialize, ToSchema)]
pub struct TokenUser {
    id: String,
    email: String,
    role: Role,
    /// The site a shop, washer or producer works at; null for coordinators and admins.
    site_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct NewToken {
    /// Send it as `Authorization: Bearer <token>`; it is shown once.
    token: String,
    user: TokenUser,
}

/// Signs in with an e-mail and a password and gives a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/token", operation_id = "createToken", tag = "sign-in",
    request_body = TokenRequest,
    responses(
        (status = 201, description = "A new token.", body = NewToken),
        (status = 401, description = "`unauthorized`: the e-mail or the password is wrong.", body = ErrorView),
        (status = 422, description = "`invalid_field`: the token has no name.", body = ErrorView),
        (status = 429, description = "`too_many_attempts`: too many failed sign-ins for this e-mail or from this address; `Retry-After` gives the seconds to wait.", body = ErrorView),
    ))]
pub async fn create_token(
    state: State,
    req: HttpRequest,
    body: web::Json<TokenRequest>,
) -> Result<HttpResponse, AppError> {
    let TokenRequest {
        email,
        password,
        name,
    } = body.into_inner();
    if name.trim().is_empty() {
        return Err(AppError::unprocessable(
            "invalid_field",
            "name the token after the device or script that will use it, e.g. \"till 1\"",
        ));
    }
    let name = crate::domain::bounds::check_name("name", &name, crate::domain::bounds::NAME_CHARS)
        .map_err(|m| AppError::unprocessable("invalid_field", m))?;
    let email = email.trim().to_lowercase();
    let client = throttle::client_address(&req, &state.config.trusted_proxies);
    let now = now();
    if let Attempt::Wait(until) = throttle::reserve(&state, "token", &email, &client, now).await? {
        let minutes = throttle::minutes_left(until, now);
        return Ok(HttpResponse::TooManyRequests()
            .insert_header(("Retry-After", (until - now).num_seconds().max(1).to_string()))
            .json(ErrorView {
                error: "too_many_attempts".into(),
                message: format!("too many failed sign-ins for this e-mail from this address, or from this address: try again in {minutes} min"),
            }));
    }
    let Some(user) = throttle::verify(&state, &email, &password).await? else {
        throttle::failed(&state, "token", &email, &client, now).await?;
        return Err(AppError::unauthorized(
            "the e-mail or the password is wrong",
        ));
    };
    let owner = user.clone();
    let token = write(&state, move |conn| {
        crate::db::sessions::clear_failures(conn, &email, &throttle::counted(&client))?;
        let by = By::user(&owner.id, &owner.email, &client);
        Ok(new_token(conn, &owner, name.trim(), &by, now)?)
    })
    .await?;
    let role = Role::parse(&user.role).ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!("user {} has an unknown role", user.id))
    })?;
    Ok(HttpResponse::Created().json(NewToken {
        token,
        user: TokenUser {
            id: user.id,
            email: user.email,
            role,
            site_id: user.site_id,
        },
    }))
}

/// Revokes the token that signs this request.
#[utoipa::path(delete, path = "/api/v1/auth/token", operation_id = "revokeToken", tag = "sign-in",
    responses((status = 204, description = "The token no longer signs anything.")))]
pub async fn revoke_token(
    state: State,
    req: HttpRequest,
    authed: Authed,
) -> Result<HttpResponse, AppError> {
    let client = throttle::client_address(&req, &state.config.trusted_proxies);
    write(&state, move |conn| {
        let actor = &authed.actor;
        let which = Revoke {
            user_id: &actor.user_id,
            email: &actor.email,
            token_id: Some(&authed.token_id),
            name: None,
        };
        let by = By::user(&actor.user_id, &actor.email, &client);
        Ok(revoke_tokens(conn, &which, &by, now())?)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
