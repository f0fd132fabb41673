//! A picture of the organization a blueprint describes, as Mermaid or Graphviz DOT text.
//!
//! Pure: drawn from the blueprint alone, no AWS call. The OU tree (root, OUs, nested OUs), the
//! accounts of each OU with their purpose, the guardrails (SCPs) with dashed edges to where they
//! are attached, and, when the blueprint has an `identity` section, the hub account, its IAM
//! groups and the roles they may assume in which accounts (`group → role@account`, grouped per
//! role). Both formats are built from one intermediate picture, so they carry the same
//! information; the output follows blueprint order, so it is stable for snapshots and diffs.

use std::collections::{BTreeSet, HashMap};
use std::fmt::{self, Write as _};

use groundwork_blueprint::{Blueprint, OuPath, Purpose, RoleTrust, Target};

/// The text format of [`render_graph`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GraphFormat {
    /// A Mermaid `flowchart` (GitHub renders it in Markdown; `mmdc` renders it to SVG).
    #[default]
    Mermaid,
    /// A Graphviz `digraph` with a cluster per OU (`dot -Tsvg`).
    Dot,
}

impl GraphFormat {
    /// The name used on the command line: `mermaid` or `dot`.
    pub fn as_str(self) -> &'static str {
        match self {
            GraphFormat::Mermaid => "mermaid",
            GraphFormat::Dot => "dot",
        }
    }
}

impl fmt::Display for GraphFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Draws the organization of a blueprint in the given format.
///
/// ```
/// use groundwork_plan::{GraphFormat, render_graph};
/// let bp = groundwork_blueprint::parse("x.yaml", b"version: 1
/// organization: { name: x, home_region: us-east-1, management_account: { email: root@x.example } }
/// organizational_units: [{ name: Prod }]
/// accounts: [{ name: app, email: app@x.example, ou: Prod, purpose: workload }]
/// ").unwrap().blueprint;
/// let mermaid = render_graph(&bp, GraphFormat::Mermaid);
/// assert!(mermaid.starts_with("flowchart LR\n"));
/// assert!(mermaid.contains("OU_Prod --> acct_app"));
/// assert!(render_graph(&bp, GraphFormat::Dot).starts_with("digraph "));
/// ```
pub fn render_graph(bp: &Blueprint, format: GraphFormat) -> String {
    let picture = Picture::from_blueprint(bp);
    match format {
        GraphFormat::Mermaid => mermaid(&picture),
        GraphFormat::Dot => dot(&picture),
    }
}

// ---------------------------------------------------------------------------------------------
// The picture, independent of the format.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeKind {
    Root,
    Management,
    Ou,
    Account(Purpose),
    Scp,
    Group,
    RoleAt,
    /// A group of Identity Center's identity store.
    SsoGroup,
    /// A permission set, as one group gets it (one node per group and permission set).
    PermissionSet,
}

#[derive(Debug)]
struct Node {
    id: String,
    kind: NodeKind,
    /// Label lines, unescaped.
    lines: Vec<String>,
    /// The identity hub (an account, or the management account).
    hub: bool,
    cluster: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClusterKind {
    /// An OU; drawn as a cluster in DOT only (Mermaid draws the tree with edges).
    Ou,
    /// The IAM groups of the hub.
    Groups,
    /// One role, holding its `role@account` nodes.
    Role,
}

#[derive(Debug)]
struct Cluster {
    id: String,
    kind: ClusterKind,
    title: String,
    parent: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EdgeKind {
    /// Root → OU → child OU, OU → account, root → management account.
    Tree,
    /// SCP → where it is attached.
    Scp,
    /// Hub account → one of its groups.
    Hub,
    /// Group → role@account it may assume.
    Grant,
}

#[derive(Debug)]
struct Edge {
    from: usize,
    to: usize,
    kind: EdgeKind,
    /// The OU cluster the edge stands for (DOT clips the edge at its border).
    to_cluster: Option<usize>,
}

#[derive(Debug, Default)]
struct Picture {
    name: String,
    nodes: Vec<Node>,
    clusters: Vec<Cluster>,
    edges: Vec<Edge>,
    used_ids: BTreeSet<String>,
}

/// `[A-Za-z0-9_]` only: every other character becomes `_`.
fn sanitize(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
}

/// A label line: control characters (newlines included) become spaces.
fn line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

fn trust_text(trust: RoleTrust) -> String {
    match trust {
        // The default bound goes without saying, as in the blueprint.
        RoleTrust::Hub { max_mfa_age_seconds: groundwork_blueprint::DEFAULT_MAX_MFA_AGE_SECONDS, .. } => {
            "trust: hub, with MFA".to_owned()
        }
        RoleTrust::Hub { max_mfa_age_seconds: s, .. } => format!("trust: hub, MFA at most {s}s old"),
        RoleTrust::Ec2 => "trust: EC2".to_owned(),
    }
}

impl Picture {
    /// A node or cluster id made from its kind and name, unique in the picture: the same name
    /// sanitized alike (`jira-prod`, `jira_prod`) gets `_2`, `_3`, ... in blueprint order.
    fn id(&mut self, prefix: &str, name: &str) -> String {
        let base = if name.is_empty() { prefix.to_owned() } else { format!("{prefix}_{}", sanitize(name)) };
        let mut id = base.clone();
        let mut n = 1;
        while self.used_ids.contains(&id) {
            n += 1;
            id = format!("{base}_{n}");
        }
        self.used_ids.insert(id.clone());
        id
    }

    fn node(&mut self, prefix: &str, name: &str, kind: NodeKind, lines: Vec<String>, cluster: Option<usize>) -> usize {
        let id = self.id(prefix, name);
        self.nodes.push(Node { id, kind, lines, hub: false, cluster });
        self.nodes.len() - 1
    }

    fn cluster(&mut self, prefix: &str, name: &str, kind: ClusterKind, title: String, parent: Option<usize>) -> usize {
        let id = self.id(prefix, name);
        self.clusters.push(Cluster { id, kind, title, parent });
        self.clusters.len() - 1
    }

    fn edge(&mut self, from: usize, to: usize, kind: EdgeKind) {
        let to_cluster = match kind {
            EdgeKind::Scp if self.nodes[to].kind == NodeKind::Ou => self.nodes[to].cluster,
            _ => None,
        };
        self.edges.push(Edge { from, to, kind, to_cluster });
    }

    fn from_blueprint(bp: &Blueprint) -> Picture {
        let org = &bp.organization;
        let mut p = Picture { name: org.name.value.clone(), ..Picture::default() };
        let root = p.node(
            "root",
            "",
            NodeKind::Root,
            vec!["Root".to_owned(), line(&format!("{} ({})", org.name.value, org.home_region.value))],
            None,
        );
        // SCPs never restrict the management account, whatever is attached to the root.
        let mut lines: Vec<String> = org.management_name.iter().map(|n| line(&n.value)).collect();
        lines.extend(["management account".to_owned(), "no SCP applies".to_owned()]);
        let management = p.node("management", "", NodeKind::Management, lines, None);
        p.edge(root, management, EdgeKind::Tree);

        // OUs, parents first; each is a node inside its own cluster (nested in its parent's).
        let mut ous: HashMap<&OuPath, usize> = HashMap::new();
        for ou in &bp.organizational_units {
            let parent = if ou.path.is_root() { None } else { ous.get(&ou.path.parent()).copied() };
            let parent_cluster = parent.and_then(|n| p.nodes[n].cluster);
            let path = ou.path.to_string();
            let cluster = p.cluster("cluster_OU", &path, ClusterKind::Ou, line(&path), parent_cluster);
            let node = p.node("OU", &path, NodeKind::Ou, vec![line(&ou.name.value), "OU".to_owned()], Some(cluster));
            p.edge(parent.unwrap_or(root), node, EdgeKind::Tree);
            ous.insert(&ou.path, node);
        }
        // The OU an account or target sits in: the nearest one the blueprint defines.
        let ou_node = |path: &OuPath| {
            let mut path = path.clone();
            loop {
                if let Some(&n) = ous.get(&path) {
                    return n;
                }
                if path.is_root() {
                    return root;
                }
                path = path.parent();
            }
        };

        let hub_name = bp.identity.as_ref().map(|i| i.account.as_ref().map(|a| a.value.as_str()));
        let mut accounts: HashMap<&str, usize> = HashMap::new();
        for account in &bp.accounts {
            let name = &account.name.value;
            let mut lines = vec![line(name), account.purpose.as_str().to_owned()];
            if let Some(logging) = bp.logging.as_ref().filter(|l| l.account.value == *name) {
                lines.push(line(&format!("org trail {}", logging.trail.value)));
            }
            if hub_name == Some(Some(name.as_str())) {
                lines.push("identity hub".to_owned());
            }
            if let Some(slack) = bp.alerts.as_ref().and_then(|a| a.slack.as_ref()).filter(|s| s.account == *name) {
                lines.push(line(&format!("alerts to Slack {}", slack.channel)));
            }
            if let Some(limits) =
                bp.sandbox.as_ref().and_then(|s| s.summary(name, bp.alerts.as_ref().map(|a| a.topic.name.as_str())))
            {
                lines.push(line(&limits));
            }
            let parent = ou_node(&account.ou.value);
            let node = p.node("acct", name, NodeKind::Account(account.purpose), lines, p.nodes[parent].cluster);
            p.edge(parent, node, EdgeKind::Tree);
            accounts.entry(name.as_str()).or_insert(node);
        }

        for scp in &bp.guardrails.policies {
            let name = &scp.name.value;
            let kind = match scp.builtin.as_deref() {
                Some(b) if b == name => "SCP".to_owned(),
                Some(b) => line(&format!("SCP ({b})")),
                None => "SCP (custom)".to_owned(),
            };
            let node = p.node("scp", name, NodeKind::Scp, vec![line(name), kind], None);
            for target in &scp.targets {
                let to = match &target.value {
                    Target::Root => Some(root),
                    Target::Ou(path) => ous.get(path).copied(),
                    Target::Account(a) => accounts.get(a.as_str()).copied(),
                };
                if let Some(to) = to {
                    p.edge(node, to, EdgeKind::Scp);
                }
            }
        }

        if let Some(identity) = &bp.identity {
            p.identity(bp, identity, hub_name.flatten().and_then(|h| accounts.get(h).copied()).unwrap_or(management));
        }
        if let Some(ic) = &bp.identity_center {
            p.identity_center(ic, &accounts, management);
        }
        p
    }

    /// Identity Center: each group, the permission sets it gets (one node per group and
    /// permission set, with its session) and the accounts it gets them in
    /// (`group → permission set → account`).
    fn identity_center(
        &mut self,
        ic: &groundwork_blueprint::IdentityCenter,
        accounts: &HashMap<&str, usize>,
        management: usize,
    ) {
        let title = format!("Identity Center groups ({})", ic.region);
        let cluster =
            (!ic.groups.is_empty()).then(|| self.cluster("cluster_sso", "", ClusterKind::Groups, line(&title), None));
        let mut groups: HashMap<&str, usize> = HashMap::new();
        for g in &ic.groups {
            let kind = if g.create { "SSO group (created)" } else { "SSO group (from the identity provider)" };
            let node = self.node(
                "sso",
                &g.name.value,
                NodeKind::SsoGroup,
                vec![line(&g.name.value), kind.to_owned()],
                cluster,
            );
            groups.insert(g.name.value.as_str(), node);
        }
        let mut sets: HashMap<(&str, &str), usize> = HashMap::new();
        let mut seen = BTreeSet::new();
        for a in &ic.assignments {
            let Some(&group) = groups.get(a.group.as_str()) else { continue };
            let key = (a.group.as_str(), a.permission_set.as_str());
            let set = if let Some(&n) = sets.get(&key) {
                n
            } else {
                let session = ic
                    .permission_sets
                    .iter()
                    .find(|p| p.name.value == a.permission_set)
                    .map(|p| match (p.session_minutes / 60, p.session_minutes % 60) {
                        (h, 0) => format!("{h}h"),
                        (h, m) => format!("{h}h{m}m"),
                    })
                    .unwrap_or_default();
                let lines = vec![line(&a.permission_set), line(&format!("permission set, session {session}"))];
                let n =
                    self.node("ps", &format!("{}_{}", a.group, a.permission_set), NodeKind::PermissionSet, lines, None);
                sets.insert(key, n);
                self.edge(group, n, EdgeKind::Grant);
                n
            };
            for account in &a.accounts {
                let to = match account {
                    Some(name) => accounts.get(name.as_str()).copied(),
                    None => Some(management),
                };
                if let Some(to) = to
                    && seen.insert((set, to))
                {
                    self.edge(set, to, EdgeKind::Grant);
                }
            }
        }
    }

    /// The hub, its groups, and `role@account` nodes (one cluster per role) with an edge from
    /// every group that may assume them.
    fn identity(&mut self, bp: &Blueprint, identity: &groundwork_blueprint::Identity, hub: usize) {
        self.nodes[hub].hub = true;
        let hub_label = match &identity.account {
            Some(a) => format!("IAM groups in the hub account {}", a.value),
            None => "IAM groups in the management account (the hub)".to_owned(),
        };
        let groups_cluster = (!identity.groups.is_empty())
            .then(|| self.cluster("cluster_groups", "", ClusterKind::Groups, line(&hub_label), None));
        let mut groups = Vec::new();
        for group in &identity.groups {
            let node = self.node(
                "group",
                &group.name.value,
                NodeKind::Group,
                vec![line(&group.name.value), "IAM group".to_owned()],
                groups_cluster,
            );
            self.edge(hub, node, EdgeKind::Hub);
            groups.push(node);
        }

        // Every (role, account) some grant names, in the order of the `roles` section (then of
        // the grants, for a role it does not define).
        let mut granted: Vec<(&str, Vec<&str>)> = Vec::new();
        for grant in identity.groups.iter().flat_map(|g| &g.grants) {
            let i = granted.iter().position(|(r, _)| *r == grant.role).unwrap_or_else(|| {
                granted.push((grant.role.as_str(), Vec::new()));
                granted.len() - 1
            });
            for account in &grant.accounts {
                if !granted[i].1.contains(&account.as_str()) {
                    granted[i].1.push(account);
                }
            }
        }
        let defined = |name: &str| bp.roles.iter().position(|r| r.name.value == name);
        granted.sort_by_key(|(role, _)| defined(role).unwrap_or(usize::MAX));
        let mut role_nodes: HashMap<(&str, &str), usize> = HashMap::new();
        for (role_name, mut in_accounts) in granted {
            let role = defined(role_name).map(|i| &bp.roles[i]);
            if let Some(role) = role {
                in_accounts.sort_by_key(|a| role.accounts.iter().position(|r| r == a).unwrap_or(usize::MAX));
            }
            let title = match role {
                Some(r) => format!("role {role_name}, {}", trust_text(r.trust)),
                None => format!("role {role_name}"),
            };
            let cluster = self.cluster("cluster_role", role_name, ClusterKind::Role, line(&title), None);
            for account in in_accounts {
                let label = format!("{role_name}@{account}");
                let node = self.node("role", &label, NodeKind::RoleAt, vec![line(&label)], Some(cluster));
                role_nodes.insert((role_name, account), node);
            }
        }
        let mut seen = BTreeSet::new();
        for (group, node) in identity.groups.iter().zip(groups) {
            for grant in &group.grants {
                for account in &grant.accounts {
                    if let Some(&to) = role_nodes.get(&(grant.role.as_str(), account.as_str()))
                        && seen.insert((node, to))
                    {
                        self.edge(node, to, EdgeKind::Grant);
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Mermaid
// ---------------------------------------------------------------------------------------------

/// Text for a quoted Mermaid label: Mermaid reads `#name;` entity codes, so `"`, `#`, `<`, `>`,
/// `&` and `` ` `` are written as codes (the last one would start a Markdown string).
fn mermaid_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            c => out.push(c),
        }
    }
    out
}

fn mermaid_label(lines: &[String]) -> String {
    lines.iter().map(|l| mermaid_escape(l)).collect::<Vec<_>>().join("<br/>")
}

fn purpose_class(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::LogArchive => "log_archive",
        Purpose::Identity => "identity",
        Purpose::Workload => "workload",
        Purpose::Sandbox => "sandbox",
        Purpose::Shared => "shared",
    }
}

/// Class name, fill, stroke, text colour, extra style.
const STYLES: &[(&str, &str, &str, &str, &str)] = &[
    ("root", "#1e293b", "#0f172a", "#ffffff", ""),
    ("management", "#e2e8f0", "#334155", "#0f172a", ""),
    ("ou", "#e0e7ff", "#4338ca", "#1e1b4b", ""),
    ("log_archive", "#fef3c7", "#b45309", "#451a03", ""),
    ("identity", "#ede9fe", "#6d28d9", "#2e1065", ""),
    ("workload", "#dcfce7", "#15803d", "#052e16", ""),
    ("sandbox", "#f3f4f6", "#6b7280", "#111827", "stroke-dasharray:4 3"),
    ("shared", "#e0f2fe", "#0369a1", "#082f49", ""),
    ("scp", "#fee2e2", "#b91c1c", "#450a0a", ""),
    ("group", "#fae8ff", "#a21caf", "#4a044e", ""),
    ("role", "#fff7ed", "#c2410c", "#431407", ""),
];

const SCP_EDGE: &str = "#b91c1c";
const GRANT_EDGE: &str = "#a21caf";

fn class_of(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Root => "root",
        NodeKind::Management => "management",
        NodeKind::Ou => "ou",
        NodeKind::Account(p) => purpose_class(p),
        NodeKind::Scp => "scp",
        NodeKind::Group | NodeKind::SsoGroup => "group",
        NodeKind::RoleAt | NodeKind::PermissionSet => "role",
    }
}

fn mermaid_node(out: &mut String, indent: &str, node: &Node) {
    let label = mermaid_label(&node.lines);
    let (open, close) = match node.kind {
        NodeKind::Root => ("([", "])"),
        NodeKind::Management => ("[[", "]]"),
        NodeKind::Ou | NodeKind::RoleAt | NodeKind::PermissionSet => ("[", "]"),
        NodeKind::Account(_) => ("(", ")"),
        NodeKind::Scp => ("{{", "}}"),
        NodeKind::Group | NodeKind::SsoGroup => (">", "]"),
    };
    let _ = writeln!(out, "{indent}{}{open}\"{label}\"{close}:::{}", node.id, class_of(node.kind));
}

/// A comment line and the kinds of node listed under it.
type Section = (&'static str, fn(NodeKind) -> bool);

fn mermaid(p: &Picture) -> String {
    let mut out = String::from("flowchart LR\n");
    let in_subgraph = |n: &Node| n.cluster.is_some_and(|c| p.clusters[c].kind != ClusterKind::Ou);
    let sections: [Section; 4] = [
        ("organization: root, OUs, accounts", |k| {
            matches!(k, NodeKind::Root | NodeKind::Management | NodeKind::Ou | NodeKind::Account(_))
        }),
        ("guardrails (service control policies)", |k| k == NodeKind::Scp),
        ("identity: IAM groups in the hub and the roles they may assume", |k| {
            matches!(k, NodeKind::Group | NodeKind::RoleAt)
        }),
        ("single sign-on: Identity Center groups, their permission sets, the accounts they get them in", |k| {
            matches!(k, NodeKind::SsoGroup | NodeKind::PermissionSet)
        }),
    ];
    for (title, wanted) in sections {
        if !p.nodes.iter().any(|n| wanted(n.kind)) {
            continue;
        }
        let _ = writeln!(out, "  %% {title}");
        for node in p.nodes.iter().filter(|n| wanted(n.kind) && !in_subgraph(n)) {
            mermaid_node(&mut out, "  ", node);
        }
        for (i, cluster) in p.clusters.iter().enumerate() {
            let members: Vec<&Node> =
                p.nodes.iter().filter(|n| n.cluster == Some(i) && wanted(n.kind) && in_subgraph(n)).collect();
            if members.is_empty() {
                continue;
            }
            let _ = writeln!(out, "  subgraph {}[\"{}\"]", cluster.id, mermaid_escape(&cluster.title));
            for node in members {
                mermaid_node(&mut out, "    ", node);
            }
            out.push_str("  end\n");
        }
    }
    out.push_str("  %% edges: tree, then SCP attachments, hub, grants\n");
    let mut scp_edges = Vec::new();
    let mut grant_edges = Vec::new();
    for (i, e) in p.edges.iter().enumerate() {
        let arrow = match e.kind {
            EdgeKind::Tree | EdgeKind::Grant => "-->",
            EdgeKind::Scp => "-.->",
            EdgeKind::Hub => "---",
        };
        let _ = writeln!(out, "  {} {arrow} {}", p.nodes[e.from].id, p.nodes[e.to].id);
        match e.kind {
            EdgeKind::Scp => scp_edges.push(i.to_string()),
            EdgeKind::Grant => grant_edges.push(i.to_string()),
            EdgeKind::Tree | EdgeKind::Hub => {}
        }
    }
    for (edges, colour) in [(scp_edges, SCP_EDGE), (grant_edges, GRANT_EDGE)] {
        if !edges.is_empty() {
            let _ = writeln!(out, "  linkStyle {} stroke:{colour}", edges.join(","));
        }
    }
    for (class, fill, stroke, color, extra) in STYLES {
        let extra = if extra.is_empty() { String::new() } else { format!(",{extra}") };
        let _ = writeln!(out, "  classDef {class} fill:{fill},stroke:{stroke},color:{color}{extra}");
    }
    let hubs: Vec<&str> = p.nodes.iter().filter(|n| n.hub).map(|n| n.id.as_str()).collect();
    if !hubs.is_empty() {
        out.push_str("  classDef hub stroke-width:3px\n");
        let _ = writeln!(out, "  class {} hub", hubs.join(","));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Graphviz DOT
// ---------------------------------------------------------------------------------------------

/// Text for a double-quoted DOT string: `\` and `"` are escaped.
fn dot_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

fn dot_label(lines: &[String]) -> String {
    lines.iter().map(|l| dot_escape(l)).collect::<Vec<_>>().join("\\n")
}

fn dot_style(kind: NodeKind) -> (&'static str, &'static str) {
    let shape = match kind {
        NodeKind::Root => "doubleoctagon",
        NodeKind::Management => "box3d",
        NodeKind::Ou => "folder",
        NodeKind::Account(_) | NodeKind::RoleAt | NodeKind::PermissionSet => "box",
        NodeKind::Scp => "hexagon",
        NodeKind::Group | NodeKind::SsoGroup => "cds",
    };
    let style = match kind {
        NodeKind::Account(Purpose::Sandbox) => "rounded,filled,dashed",
        NodeKind::Account(_) => "rounded,filled",
        _ => "filled",
    };
    (shape, style)
}

fn dot_node(out: &mut String, indent: &str, node: &Node) {
    let (shape, style) = dot_style(node.kind);
    let class = class_of(node.kind);
    let (_, fill, stroke, color, _) = STYLES.iter().find(|s| s.0 == class).copied().unwrap_or(STYLES[0]);
    let pen = if node.hub { ", penwidth=3" } else { "" };
    let _ = writeln!(
        out,
        "{indent}\"{}\" [label=\"{}\", shape={shape}, style=\"{style}\", fillcolor=\"{fill}\", color=\"{stroke}\", fontcolor=\"{color}\"{pen}];",
        node.id,
        dot_label(&node.lines)
    );
}

fn dot_cluster(out: &mut String, p: &Picture, cluster: usize, depth: usize) {
    let indent = "  ".repeat(depth + 1);
    let c = &p.clusters[cluster];
    let _ = writeln!(out, "{indent}subgraph \"{}\" {{", c.id);
    let (style, color) = match c.kind {
        ClusterKind::Ou => ("rounded", "#818cf8"),
        ClusterKind::Groups => ("rounded,dashed", "#a21caf"),
        ClusterKind::Role => ("rounded,dashed", "#c2410c"),
    };
    let _ = writeln!(
        out,
        "{indent}  label=\"{}\"; labeljust=l; style=\"{style}\"; color=\"{color}\"; fontcolor=\"#475569\";",
        dot_escape(&c.title)
    );
    for node in p.nodes.iter().filter(|n| n.cluster == Some(cluster)) {
        dot_node(out, &format!("{indent}  "), node);
    }
    for child in (0..p.clusters.len()).filter(|&i| p.clusters[i].parent == Some(cluster)) {
        dot_cluster(out, p, child, depth + 1);
    }
    let _ = writeln!(out, "{indent}}}");
}

fn dot(p: &Picture) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", dot_escape(&p.name));
    out.push_str(
        "  graph [rankdir=LR, compound=true, fontname=\"Helvetica\", fontsize=11, nodesep=0.25, ranksep=0.6];\n",
    );
    out.push_str("  node [fontname=\"Helvetica\", fontsize=11, margin=\"0.15,0.06\"];\n");
    out.push_str("  edge [color=\"#64748b\", arrowsize=0.7];\n");
    for node in p.nodes.iter().filter(|n| n.cluster.is_none()) {
        dot_node(&mut out, "  ", node);
    }
    for cluster in (0..p.clusters.len()).filter(|&i| p.clusters[i].parent.is_none()) {
        dot_cluster(&mut out, p, cluster, 0);
    }
    for e in &p.edges {
        let attrs = match e.kind {
            EdgeKind::Tree => String::new(),
            EdgeKind::Scp => {
                let lhead = e.to_cluster.map(|c| format!(", lhead=\"{}\"", p.clusters[c].id)).unwrap_or_default();
                format!(" [style=dashed, color=\"{SCP_EDGE}\"{lhead}]")
            }
            EdgeKind::Hub => " [arrowhead=none, style=bold, color=\"#6d28d9\"]".to_owned(),
            EdgeKind::Grant => format!(" [color=\"{GRANT_EDGE}\"]"),
        };
        let _ = writeln!(out, "  \"{}\" -> \"{}\"{attrs};", p.nodes[e.from].id, p.nodes[e.to].id);
    }
    out.push_str("}\n");
    out
}
