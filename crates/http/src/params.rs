//! Query and path parameters, read the way the service this API replaces read them (FastAPI,
//! pydantic v2 in lax mode), so clients see the same acceptances and the same refusals.
//!
//! Each endpoint declares its parameters once, as a FastAPI signature does: a struct
//! implementing [`Parameters`], whose `declare` names each parameter with its [`Kind`] in one
//! line. The same declaration reads a request (every refused parameter becomes one 422 entry,
//! in declaration order) and describes the parameters in the OpenAPI document
//! ([`described!`]).

use std::borrow::Cow;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::{Ready, ready};
use serde_json::Value;
use utoipa::openapi::Required;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::Schema;

mod kinds;

pub use kinds::{AnyText, Boolean, Choice, CursorOf, Id, PageSize, Text};

/// Where a parameter is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum In {
    /// The query string.
    Query,
    /// The path.
    Path,
}

impl In {
    /// The first element of a 422 entry's `loc`.
    pub const fn as_str(self) -> &'static str {
        match self {
            In::Query => "query",
            In::Path => "path",
        }
    }
}

/// Why pydantic refuses a value: its error `type`, `msg` and `ctx`.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// pydantic's error type, for example `int_parsing`.
    pub kind: &'static str,
    /// pydantic's message for it.
    pub msg: Cow<'static, str>,
    /// The bound or reason, for the errors that carry one.
    pub ctx: Option<Value>,
}

impl Refusal {
    pub(crate) fn new(
        kind: &'static str,
        msg: impl Into<Cow<'static, str>>,
        ctx: Option<Value>,
    ) -> Self {
        Self {
            kind,
            msg: msg.into(),
            ctx,
        }
    }
}

/// One refused parameter: a 422 entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    /// Where it was read from.
    pub at: In,
    /// Its name.
    pub name: &'static str,
    /// The raw value as received; `None` when it was missing.
    pub input: Option<String>,
    /// What is wrong with it.
    pub refusal: Refusal,
}

/// A parameter's declared type: how a raw value becomes a value, and its OpenAPI schema.
pub trait Kind {
    /// What a valid raw value reads as.
    type Value;
    /// Reads a raw value, or says how pydantic refuses it.
    fn read(&self, raw: &str) -> Result<Self::Value, Refusal>;
    /// Its schema in the OpenAPI document.
    fn schema(&self) -> Schema;
    /// How an audited read records a valid raw value: as given, unless text of any length can
    /// mean the value (a date-time's fraction digits, an integer's zeros), which records it
    /// normalized.
    fn recorded(&self, raw: &str) -> String {
        raw.to_owned()
    }
}

/// A parameter as an endpoint declares it: where it is, its name, whether it is required,
/// and what it is for (its OpenAPI description).
#[derive(Debug, Clone, Copy)]
pub struct Param {
    at: In,
    name: &'static str,
    required: bool,
    about: &'static str,
}

impl Param {
    /// An optional parameter of the query string.
    pub const fn query(name: &'static str, about: &'static str) -> Self {
        Self {
            at: In::Query,
            name,
            required: false,
            about,
        }
    }

    /// A required parameter of the query string.
    pub const fn required(name: &'static str, about: &'static str) -> Self {
        Self {
            at: In::Query,
            name,
            required: true,
            about,
        }
    }

    /// A parameter of the path (always present where the route matched).
    pub const fn path(name: &'static str, about: &'static str) -> Self {
        Self {
            at: In::Path,
            name,
            required: true,
            about,
        }
    }
}

/// What an endpoint declares its parameters to: read from a request, or described.
pub trait Declare {
    /// The value of `param`, of `kind`: `Ok(None)` when it is absent (and not required),
    /// [`NotRead`] when it is refused (or only described).
    fn read<K: Kind>(&mut self, param: Param, kind: K) -> Result<Option<K::Value>, NotRead>;

    /// The value of `param` when present and valid; else `None`.
    fn take<K: Kind>(&mut self, param: Param, kind: K) -> Option<K::Value> {
        self.read(param, kind).ok().flatten()
    }

    /// The value of `param`, or `default` when it is absent; `None` when it is refused.
    fn take_or<K: Kind>(&mut self, param: Param, kind: K, default: K::Value) -> Option<K::Value> {
        self.read(param, kind)
            .ok()
            .map(|value| value.unwrap_or(default))
    }
}

/// A parameter that was refused, or that is only being described: it has no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotRead;

/// An endpoint's parameters, declared once.
pub trait Parameters: Sized {
    /// Declares each parameter, in order, and builds the value from them (`None` when any was
    /// refused, or when only describing).
    fn declare(declare: &mut impl Declare) -> Option<Self>;

    /// Reads them from a request, or says why not: each refused parameter, a 422 entry.
    fn read(request: &Raw) -> Result<Self, Vec<Refused>> {
        let mut reading = Reading {
            request,
            refused: Vec::new(),
        };
        match Self::declare(&mut reading) {
            Some(parameters) if reading.refused.is_empty() => Ok(parameters),
            _ => Err(reading.refused),
        }
    }

    /// Their OpenAPI description.
    fn describe() -> Vec<Parameter> {
        let mut describing = Describing(Vec::new());
        let _ = Self::declare(&mut describing);
        describing.0
    }
}

/// Implements `utoipa::IntoParams` for [`Parameters`] types, from their declaration.
#[macro_export]
macro_rules! described {
    ($($parameters:ty),* $(,)?) => {
        $(
            impl utoipa::IntoParams for $parameters {
                fn into_params(
                    _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
                ) -> Vec<utoipa::openapi::path::Parameter> {
                    <$parameters as $crate::params::Parameters>::describe()
                }
            }
        )*
    };
}

/// A request's query string and path parameters as sent; where a name repeats in the query,
/// the last value counts (as it did for the service this API replaces).
#[derive(Debug, Default)]
pub struct Raw {
    query: Vec<(String, String)>,
    path: Vec<(String, String)>,
}

impl Raw {
    /// A request with this query string and no path parameters, for tests.
    #[cfg(test)]
    pub(crate) fn query(pairs: &[(&str, &str)]) -> Self {
        Self {
            query: pairs
                .iter()
                .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
                .collect(),
            path: Vec::new(),
        }
    }

    /// The query parameters `T` declares, by name (the last value of a repeated one), as each
    /// kind records it: what an audited read records. Those it does not declare are left out,
    /// as FastAPI ignores them, so nothing a caller adds to a query lands in the trail.
    pub fn details<T: Parameters>(&self) -> admin_domain::Details {
        let mut recording = Recording {
            request: self,
            details: admin_domain::Details::new(),
        };
        let _ = T::declare(&mut recording);
        recording.details
    }

    fn get(&self, at: In, name: &str) -> Option<&str> {
        let pairs = match at {
            In::Query => &self.query,
            In::Path => &self.path,
        };
        pairs
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

impl FromRequest for Raw {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let query = form_urlencoded::parse(request.query_string().as_bytes())
            .map(|(key, value)| (key.into_owned(), value.into_owned()))
            .collect();
        let path = request
            .match_info()
            .iter()
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
            .collect();
        ready(Ok(Raw { query, path }))
    }
}

struct Reading<'a> {
    request: &'a Raw,
    refused: Vec<Refused>,
}

impl Declare for Reading<'_> {
    fn read<K: Kind>(&mut self, param: Param, kind: K) -> Result<Option<K::Value>, NotRead> {
        let mut refuse = |input: Option<&str>, refusal| {
            self.refused.push(Refused {
                at: param.at,
                name: param.name,
                input: input.map(str::to_owned),
                refusal,
            });
            NotRead
        };
        match self.request.get(param.at, param.name) {
            Some(raw) => kind
                .read(raw)
                .map(Some)
                .map_err(|refusal| refuse(Some(raw), refusal)),
            None if param.required => Err(refuse(
                None,
                Refusal::new("missing", "Field required", None),
            )),
            None => Ok(None),
        }
    }
}

struct Describing(Vec<Parameter>);

/// Declares the query parameters present, as their kinds record them: what `Raw::details`
/// keeps, without building their descriptions on every audited read.
struct Recording<'a> {
    request: &'a Raw,
    details: admin_domain::Details,
}

impl Declare for Recording<'_> {
    fn read<K: Kind>(&mut self, param: Param, kind: K) -> Result<Option<K::Value>, NotRead> {
        if param.at == In::Query
            && let Some(raw) = self.request.get(In::Query, param.name)
        {
            let details = std::mem::take(&mut self.details);
            self.details = details.with(param.name, kind.recorded(raw));
        }
        Err(NotRead)
    }
}

impl Declare for Describing {
    fn read<K: Kind>(&mut self, param: Param, kind: K) -> Result<Option<K::Value>, NotRead> {
        let at = match param.at {
            In::Query => ParameterIn::Query,
            In::Path => ParameterIn::Path,
        };
        let required = if param.required {
            Required::True
        } else {
            Required::False
        };
        self.0.push(
            ParameterBuilder::new()
                .name(param.name)
                .parameter_in(at)
                .required(required)
                .description(Some(param.about))
                .schema(Some(kind.schema()))
                .build(),
        );
        Err(NotRead)
    }
}
