//! Serves the Management API's OpenAPI 3 document, generated from the same
//! route declarations that mount the handlers, then completed here with what
//! every operation shares: the error answers its extractors can give and the
//! three shapes a paged list takes. Declaring them once, from the operation's
//! own parameters and body, keeps each handler's annotation to what is
//! particular to it, and keeps the document true (schemathesis checks it
//! against the running server in `tests/e2e/openapi_fuzz.rs`).

use crate::AppState;
use crate::error::ErrorBody;
use axum::Router;
use axum::routing::get;
use std::collections::BTreeSet;
use std::sync::Arc;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::schema::{AnyOfBuilder, ArrayBuilder, ArrayItems, ObjectBuilder, Type};
use utoipa::openapi::{Content, ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder, Schema};
use utoipa::{PartialSchema, ToSchema};

pub const PATH: &str = "/api/v2/openapi.json";

pub fn routes(document: Arc<OpenApi>) -> Router<AppState> {
    Router::new().route(
        PATH,
        get(move || {
            let document = document.clone();
            async move { axum::Json((*document).clone()) }
        }),
    )
}

/// Completes the generated document: common error answers on every
/// operation, the paged shapes of the lists named in [`PAGED_LISTS`], and
/// partial records where `fields` selects members.
pub fn complete(document: &mut OpenApi) {
    let error_schema = ErrorBody::name().into_owned();
    document
        .components
        .get_or_insert_with(Default::default)
        .schemas
        .insert(error_schema.clone(), ErrorBody::schema());
    let error_ref = RefOr::Ref(Ref::from_schema_name(error_schema));
    let records: BTreeSet<String> = document
        .components
        .iter()
        .flat_map(|components| &components.schemas)
        .filter(|(_, schema)| matches!(schema, RefOr::T(Schema::Object(_))))
        .map(|(name, _)| name.clone())
        .collect();
    let mut selected = BTreeSet::new();
    for (path, item) in document.paths.paths.iter_mut() {
        for (method, operation) in operations_mut(item) {
            declare_errors(method, operation, &error_ref);
            if let Some(list) = PAGED_LISTS
                .iter()
                .find(|list| list.path == path && method == "get")
            {
                declare_pages(operation, list);
            }
            if takes_query_parameter(operation, "fields")
                && let Some(RefOr::T(ok)) = operation.responses.responses.get_mut("200")
            {
                for content in ok.content.values_mut() {
                    if let RefOr::T(Content {
                        schema: Some(schema),
                        ..
                    }) = content
                    {
                        select_fields(schema, &records, &mut selected);
                    }
                }
            }
        }
    }
    let schemas = &mut document
        .components
        .get_or_insert_with(Default::default)
        .schemas;
    for name in selected {
        if let Some(RefOr::T(Schema::Object(record))) = schemas.get(&name) {
            let mut partial = record.clone();
            partial.required.clear();
            partial.description = Some(format!(
                "{name} with only the members chosen by `fields`/`include_fields`"
            ));
            schemas.insert(format!("{name}{SELECTED}"), Schema::Object(partial).into());
        }
    }
}

const SCHEMAS: &str = "#/components/schemas/";

/// Suffix of the partial record schemas answered under `fields`.
const SELECTED: &str = "Selected";

fn takes_query_parameter(operation: &Operation, name: &str) -> bool {
    operation.parameters.iter().flatten().any(|parameter| {
        matches!(parameter, RefOr::T(parameter)
            if parameter.parameter_in == ParameterIn::Query && parameter.name == name)
    })
}

/// `fields`/`include_fields` (`query::FieldSelection`) keep only some
/// members of each record, so where an operation takes them its records are
/// described by a copy of their schema in which no member is required
/// (`{Record}Selected`): present members keep their types.
fn select_fields(
    schema: &mut RefOr<Schema>,
    records: &BTreeSet<String>,
    selected: &mut BTreeSet<String>,
) {
    match schema {
        RefOr::Ref(reference) => {
            if let Some(name) = reference.ref_location.strip_prefix(SCHEMAS)
                && records.contains(name)
            {
                selected.insert(name.to_owned());
                reference.ref_location = format!("{SCHEMAS}{name}{SELECTED}");
            }
        }
        RefOr::T(Schema::Array(array)) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                select_fields(items, records, selected);
            }
        }
        RefOr::T(Schema::AnyOf(any)) => {
            for item in &mut any.items {
                select_fields(item, records, selected);
            }
        }
        RefOr::T(Schema::Object(object)) => {
            for member in object.properties.values_mut() {
                select_fields(member, records, selected);
            }
        }
        RefOr::T(_) => {}
    }
}

fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("get", item.get.as_mut()),
        ("put", item.put.as_mut()),
        ("post", item.post.as_mut()),
        ("delete", item.delete.as_mut()),
        ("patch", item.patch.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.map(|operation| (method, operation)))
}

/// The errors any Management operation can answer, and why:
/// - 401: no bearer token, or one that is invalid, expired or for another
///   audience (the `Management` extractor, before the handler runs);
/// - 403: the token lacks the operation's scope, or is an end user's token
///   acting beyond itself;
/// - 404: no tenant for the `Host` (every operation resolves it first), or no
///   such resource;
/// - 400: a query parameter that is unknown or malformed (`ApiQuery` refuses
///   them), or an invalid body — only where the operation takes either;
/// - 413, 415: a JSON body too large or not `application/json` (`ApiJson`);
/// - 409: `PATCH`/`PUT` update records optimistically and answer
///   `concurrent_update` when a concurrent writer keeps winning.
///
/// Statuses an annotation already declares keep their own description; an
/// error answer declared without a body gets the error body.
fn declare_errors(method: &str, operation: &mut Operation, error: &RefOr<Schema>) {
    let takes_query = operation.parameters.iter().flatten().any(|parameter| {
        matches!(parameter, RefOr::T(parameter) if parameter.parameter_in == ParameterIn::Query)
    });
    let body_types: Vec<String> = match &operation.request_body {
        Some(RefOr::T(body)) => body.content.keys().cloned().collect(),
        _ => Vec::new(),
    };
    let takes_json = body_types.iter().any(|mime| mime == "application/json");
    let mut statuses = vec![
        ("401", "Missing or invalid token"),
        ("403", "The token lacks the scope this operation needs"),
        ("404", "No tenant for this host, or no such resource"),
    ];
    if takes_query || !body_types.is_empty() {
        statuses.push(("400", "Invalid query string or body"));
    }
    if takes_json {
        statuses.push(("413", "Body too large"));
        statuses.push(("415", "Body not sent as application/json"));
    }
    if matches!(method, "patch" | "put") {
        statuses.push((
            "409",
            "Changed concurrently, or conflicts with another record",
        ));
    }
    let responses = &mut operation.responses.responses;
    for (status, description) in statuses {
        responses.entry(status.to_owned()).or_insert_with(|| {
            ResponseBuilder::new()
                .description(description)
                .build()
                .into()
        });
    }
    for (status, response) in responses.iter_mut() {
        let is_error = status.starts_with('4') || status.starts_with('5');
        if let (true, RefOr::T(response)) = (is_error, response)
            && response.content.is_empty()
        {
            response.content.insert(
                "application/json".to_owned(),
                ContentBuilder::new()
                    .schema(Some(error.clone()))
                    .build()
                    .into(),
            );
        }
    }
}

/// A list whose body is chosen by its paging parameters.
struct PagedList {
    path: &'static str,
    /// The member that holds the records in the wrapped shapes.
    key: &'static str,
    /// Whether `from`/`take` (checkpoint paging) are accepted.
    checkpoint: bool,
    /// Members added to the `include_totals` shape besides start/limit/total.
    extra: &'static [&'static str],
}

/// The lists answered by `query::PageRequest::respond` (and, with
/// `checkpoint`, `query::Checkpoint::respond`).
const PAGED_LISTS: &[PagedList] = &[
    PagedList {
        path: "/api/v2/clients",
        key: "clients",
        checkpoint: false,
        extra: &[],
    },
    PagedList {
        path: "/api/v2/connections",
        key: "connections",
        checkpoint: true,
        extra: &[],
    },
    PagedList {
        path: "/api/v2/resource-servers",
        key: "resource_servers",
        checkpoint: false,
        extra: &[],
    },
    PagedList {
        path: "/api/v2/client-grants",
        key: "client_grants",
        checkpoint: true,
        extra: &[],
    },
    PagedList {
        path: "/api/v2/users",
        key: "users",
        checkpoint: false,
        extra: &["length"],
    },
    PagedList {
        path: "/api/v2/logs",
        key: "logs",
        checkpoint: false,
        extra: &[],
    },
];

/// Replaces the 200 body (the annotation's array of records) with any of:
/// the bare array (no paging parameters or `page`/`per_page`), `{key: [...],
/// start, limit, total}` (`include_totals=true`) and, for checkpoint lists,
/// `{key: [...], next?}` (`from`/`take`).
fn declare_pages(operation: &mut Operation, list: &PagedList) {
    let Some(RefOr::T(ok)) = operation.responses.responses.get_mut("200") else {
        return;
    };
    let declared = ok
        .content
        .get("application/json")
        .and_then(|content| match content {
            RefOr::T(content) => content.schema.clone(),
            RefOr::Ref(_) => None,
        });
    let array: RefOr<Schema> = match declared {
        Some(array @ RefOr::T(Schema::Array(_))) => array,
        // Records without a schema of their own (log events): any object.
        _ => ArrayBuilder::new()
            .items(ObjectBuilder::new().schema_type(Type::Object))
            .build()
            .into(),
    };
    let integer = || {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(0))
    };
    let mut totals = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property(list.key, array.clone())
        .required(list.key);
    for member in ["start", "limit", "total"].iter().chain(list.extra) {
        totals = totals.property(*member, integer()).required(*member);
    }
    let mut shapes = AnyOfBuilder::new().item(array.clone()).item(totals);
    if list.checkpoint {
        shapes = shapes.item(
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property(list.key, array)
                .required(list.key)
                .property("next", ObjectBuilder::new().schema_type(Type::String)),
        );
    }
    ok.content.insert(
        "application/json".to_owned(),
        ContentBuilder::new().schema(Some(shapes)).build().into(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// The served document, as JSON.
    fn document() -> Value {
        let (_, mut document) = crate::management::routes().split_for_parts();
        complete(&mut document);
        serde_json::to_value(&document).expect("document")
    }

    fn statuses(document: &Value, path: &str, method: &str) -> Vec<String> {
        document["paths"][path][method]["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("no {method} {path}"))
            .keys()
            .cloned()
            .collect()
    }

    #[test]
    fn every_operation_declares_the_errors_its_extractors_give_with_their_body() {
        let document = document();
        let error = "#/components/schemas/ManagementError";
        assert!(document["components"]["schemas"]["ManagementError"].is_object());
        let mut operations = 0;
        for (path, item) in document["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("item") {
                operations += 1;
                for (status, response) in operation["responses"].as_object().expect("responses") {
                    if status.starts_with('4') || status.starts_with('5') {
                        assert_eq!(
                            response["content"]["application/json"]["schema"]["$ref"], error,
                            "{method} {path} {status}"
                        );
                    }
                }
                let declared = statuses(&document, path, method);
                for status in ["401", "403", "404"] {
                    assert!(declared.contains(&status.to_owned()), "{method} {path}");
                }
            }
        }
        assert!(operations > 50, "{operations} operations");
    }

    #[test]
    fn statuses_follow_what_the_operation_takes() {
        let document = document();
        // No query, no body: nothing can be a 400, 409 or 415.
        let keys = statuses(&document, "/api/v2/keys/signing", "get");
        assert_eq!(keys, ["200", "401", "403", "404"]);
        // A JSON body, updated in place.
        let patch = statuses(&document, "/api/v2/client-grants/{id}", "patch");
        for status in ["400", "409", "413", "415"] {
            assert!(patch.contains(&status.to_owned()), "{patch:?}");
        }
        // Query parameters only.
        let list = statuses(&document, "/api/v2/client-grants", "get");
        assert!(list.contains(&"400".to_owned()) && !list.contains(&"415".to_owned()));
    }

    #[test]
    fn paged_lists_declare_each_shape_their_parameters_choose() {
        let document = document();
        let shapes = &document["paths"]["/api/v2/client-grants"]["get"]["responses"]["200"]["content"]
            ["application/json"]["schema"]["anyOf"];
        assert_eq!(shapes[0]["type"], "array");
        assert_eq!(
            shapes[1]["required"],
            serde_json::json!(["client_grants", "start", "limit", "total"])
        );
        assert_eq!(shapes[2]["required"], serde_json::json!(["client_grants"]));
        assert_eq!(shapes[2]["properties"]["next"]["type"], "string");
        // Offset paging only: no checkpoint shape.
        let clients = &document["paths"]["/api/v2/clients"]["get"]["responses"]["200"]["content"]["application/json"]
            ["schema"]["anyOf"];
        assert_eq!(clients.as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn records_chosen_by_fields_require_no_member() {
        let document = document();
        let get = &document["paths"]["/api/v2/resource-servers/{id}"]["get"]["responses"]["200"]["content"]
            ["application/json"]["schema"]["$ref"];
        assert_eq!(get, "#/components/schemas/ResourceServerViewSelected");
        let schemas = &document["components"]["schemas"];
        assert!(
            schemas["ResourceServerViewSelected"]["required"]
                .as_array()
                .is_none_or(Vec::is_empty)
        );
        assert!(
            schemas["ResourceServerView"]["required"]
                .as_array()
                .is_some_and(|required| required.contains(&Value::from("id")))
        );
        // The create answer is a whole record.
        let created = &document["paths"]["/api/v2/resource-servers"]["post"]["responses"]["201"]["content"]
            ["application/json"]["schema"]["$ref"];
        assert_eq!(created, "#/components/schemas/ResourceServerView");
    }
}
