//! What resolvers read from a request's context: the service handles, the batch loaders, where
//! the request came from and who is asking. Each is an `AppError` when missing, so resolvers use
//! them with a bare `?`.

use async_graphql::Context;

use crate::{
    auth::{Caller, ClientInfo, Viewer},
    error::{AppError, Result},
    loaders::Loaders,
    state::Services,
};

/// The service handles, from the schema's data.
pub fn services<'a>(ctx: &'a Context<'_>) -> Result<&'a Services> {
    ctx.data::<Services>()
        .map_err(|_| AppError::internal(anyhow::anyhow!("schema built without services")))
}

/// The request's batch loaders.
pub fn loaders<'a>(ctx: &'a Context<'_>) -> Result<&'a Loaders> {
    ctx.data::<Loaders>()
        .map_err(|_| AppError::internal(anyhow::anyhow!("request without loaders")))
}

/// Where the request came from (unspecified when executed outside HTTP).
pub fn client(ctx: &Context<'_>) -> ClientInfo {
    ctx.data_opt::<ClientInfo>().copied().unwrap_or_default()
}

/// The signed-in viewer, if any.
pub fn viewer_opt<'a>(ctx: &'a Context<'_>) -> Option<&'a Viewer> {
    ctx.data_opt::<Viewer>()
}

/// The signed-in caller, or `UNAUTHENTICATED`.
pub fn caller<'a>(ctx: &'a Context<'_>) -> Result<Caller<'a>> {
    let viewer = ctx.data_opt::<Viewer>().ok_or(AppError::Unauthenticated)?;
    Ok(Caller::new(services(ctx)?, viewer, client(ctx)))
}
