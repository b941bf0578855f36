"""Assertions on the CloudFormation templates of the AWS environment (infra/aws), run by
scripts/check-deploy.sh after cfn-lint and checkov.

    python3 scripts/check_aws.py INFRA_DIR DEPLOYING_MD

Checks what the lints cannot know: two zones; nodes, RDS and Redis in private subnets only,
reachable from the nodes only; Multi-AZ and automatic failover on; encryption on; deletion
protection in the production parameters; the parameter files match the templates; and the
CloudWatch alarms in the templates are exactly those documented in docs/DEPLOYING.md. Every
problem is printed on its own line starting with "problem:"; the exit code is 1 if there is any.
Needs only PyYAML.
"""
import glob
import json
import os
import re
import sys

import yaml


# ---- loading: CloudFormation's short-form tags as their long form --------------------------------
class CfnLoader(yaml.SafeLoader):
    pass


def _tag(loader, suffix, node):
    name = "Ref" if suffix == "Ref" else "Fn::" + suffix
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


CfnLoader.add_multi_constructor("!", _tag)


def load_templates(infra):
    out = {}
    for path in sorted(glob.glob(os.path.join(infra, "*.yaml"))):
        with open(path) as f:
            out[os.path.basename(path)] = yaml.load(f, Loader=CfnLoader)
    return out


def load_params(infra):
    out = {}
    for path in sorted(glob.glob(os.path.join(infra, "params", "*.json"))):
        with open(path) as f:
            out[os.path.basename(path)[:-5]] = json.load(f)["Parameters"]
    return out


class Problems:
    def __init__(self):
        self.items = []

    def check(self, cond, ok, bad):
        if cond:
            print("  ok: " + ok)
        else:
            self.items.append(bad)
            print("  problem: " + bad)


def resources(tpl, kind):
    return {k: v for k, v in (tpl.get("Resources") or {}).items() if v.get("Type") == kind}


def props(res):
    return res.get("Properties") or {}


def export_name(value):
    """The export a Fn::ImportValue names, with ${EnvironmentName} kept as is."""
    if isinstance(value, dict) and "Fn::ImportValue" in value:
        inner = value["Fn::ImportValue"]
        if isinstance(inner, dict) and "Fn::Sub" in inner:
            inner = inner["Fn::Sub"]
        return inner if isinstance(inner, str) else None
    return None


def param_values(templates, params, tpl, value):
    """Every value a property can take: a literal, or a parameter's default and its values in
    every parameter file."""
    if isinstance(value, dict) and "Ref" in value:
        name = value["Ref"]
        decl = (tpl.get("Parameters") or {}).get(name)
        if decl is None:
            return {}
        vals = {}
        if "Default" in decl:
            vals["default"] = str(decl["Default"])
        for env, p in params.items():
            vals[env] = str(p[name]) if name in p else vals.get("default")
        return vals
    return {"literal": str(value)}


def is_true(v):
    return str(v).lower() == "true"


# ---- network ---------------------------------------------------------------------------------------
def check_network(templates, p):
    tpl = templates.get("network.yaml")
    if tpl is None:
        p.check(False, "", "network.yaml is missing")
        return {}
    subnets = resources(tpl, "AWS::EC2::Subnet")
    routes = resources(tpl, "AWS::EC2::Route")
    assoc = resources(tpl, "AWS::EC2::SubnetRouteTableAssociation")
    table_kind = {}
    for r in routes.values():
        pr = props(r)
        table = pr.get("RouteTableId", {}).get("Ref")
        if pr.get("DestinationCidrBlock") != "0.0.0.0/0":
            continue
        if "GatewayId" in pr:
            table_kind[table] = "public"
        elif "NatGatewayId" in pr:
            table_kind[table] = "private"
    kind = {}
    for a in assoc.values():
        pr = props(a)
        kind[pr["SubnetId"]["Ref"]] = table_kind.get(pr["RouteTableId"]["Ref"], "isolated")

    def zone(sub):
        az = props(sub).get("AvailabilityZone")
        sel = az.get("Fn::Select") if isinstance(az, dict) else None
        if sel and isinstance(sel[1], dict) and "Fn::GetAZs" in sel[1]:
            return "az-index-%s" % sel[0]
        return str(az)

    zones = {k: zone(v) for k, v in subnets.items()}
    all_zones = set(zones.values())
    p.check(len(all_zones) == 2, "subnets span two availability zones (%s)" % ", ".join(sorted(all_zones)),
            "single zone: the subnets span %d availability zone(s) (%s), need exactly 2"
            % (len(all_zones), ", ".join(sorted(all_zones))))
    for role, tag in (("public", "kubernetes.io/role/elb"), ("private", "kubernetes.io/role/internal-elb")):
        names = [k for k in subnets if kind.get(k) == role]
        z = {zones[k] for k in names}
        p.check(len(z) == 2, "%s subnets %s in two zones" % (role, ", ".join(names)),
                "single zone: %s subnets %s cover %d zone(s), need 2" % (role, ", ".join(names) or "(none)", len(z)))
        for k in names:
            tags = {t["Key"]: t["Value"] for t in props(subnets[k]).get("Tags") or []}
            p.check(tags.get(tag) == "1", "%s tagged %s=1" % (k, tag),
                    "%s subnet %s lacks the Load Balancer Controller tag %s=1" % (role, k, tag))
            p.check(props(subnets[k]).get("MapPublicIpOnLaunch") is not True, "%s gives no public IPs" % k,
                    "%s maps public IPs on launch" % k)
    flows = [f for f in resources(tpl, "AWS::EC2::FlowLog").values()
             if props(f).get("ResourceType") == "VPC" and props(f).get("LogDestinationType") == "cloud-watch-logs"]
    p.check(bool(flows), "VPC flow logs to CloudWatch Logs", "no VPC flow log to CloudWatch Logs")

    # Which exports name private subnets.
    private_exports = set()
    for out in (tpl.get("Outputs") or {}).values():
        ref = (out.get("Value") or {}).get("Ref") if isinstance(out.get("Value"), dict) else None
        name = ((out.get("Export") or {}).get("Name") or {})
        name = name.get("Fn::Sub") if isinstance(name, dict) else name
        if ref in subnets and kind.get(ref) == "private" and name:
            private_exports.add(name)
    return {"private_exports": private_exports}


def check_private(label, subnet_values, net, p):
    exports = [export_name(v) for v in subnet_values or []]
    private = net.get("private_exports", set())
    ok = bool(exports) and all(e in private for e in exports) and len(set(exports)) >= 2
    p.check(ok, "%s in the private subnets of both zones only" % label,
            "%s must be in the private subnets of both zones only (got %s)" % (label, ", ".join(str(e) for e in exports) or "none"))


def check_nodes_only(label, tpl, p):
    for name, sg in resources(tpl, "AWS::EC2::SecurityGroup").items():
        rules = props(sg).get("SecurityGroupIngress") or []
        ok = bool(rules) and all(export_name(r.get("SourceSecurityGroupId")) == "sugang-${EnvironmentName}-ClusterSecurityGroupId"
                                 and "CidrIp" not in r and "CidrIpv6" not in r for r in rules)
        p.check(ok, "%s security group %s admits the EKS cluster security group only" % (label, name),
                "%s security group %s must admit only the EKS cluster security group (nodes)" % (label, name))
    for kind in ("AWS::EC2::SecurityGroupIngress",):
        for name in resources(tpl, kind):
            p.check(False, "", "%s: separate ingress rule %s is not checked; put rules in the group" % (label, name))


# ---- EKS ---------------------------------------------------------------------------------------------
def check_eks(templates, params, net, p):
    tpl = templates.get("eks.yaml")
    if tpl is None:
        p.check(False, "", "eks.yaml is missing")
        return
    clusters = resources(tpl, "AWS::EKS::Cluster")
    for name, c in clusters.items():
        types = {t["Type"] for t in ((props(c).get("Logging") or {}).get("ClusterLogging") or {}).get("EnabledTypes") or []}
        need = {"api", "audit", "authenticator", "controllerManager", "scheduler"}
        p.check(need <= types, "EKS control-plane logging: %s" % ", ".join(sorted(types)),
                "EKS control-plane logging must enable %s" % ", ".join(sorted(need - types)))
        p.check(any("secrets" in e.get("Resources", []) for e in props(c).get("EncryptionConfig") or []),
                "EKS secrets encrypted with KMS", "EKS EncryptionConfig for secrets missing")
        check_private("EKS cluster ENIs", (props(c).get("ResourcesVpcConfig") or {}).get("SubnetIds"), net, p)
    groups = resources(tpl, "AWS::EKS::Nodegroup")
    p.check(bool(groups), "managed node group present", "no managed node group")
    for name, g in groups.items():
        check_private("node group %s" % name, props(g).get("Subnets"), net, p)
        mins = param_values(templates, params, tpl, (props(g).get("ScalingConfig") or {}).get("MinSize"))
        bad = {k: v for k, v in mins.items() if v is None or int(v) < 2}
        p.check(not bad, "node group minimum >= 2 (one per zone) everywhere (%s)" % mins,
                "node group %s minimum below 2: %s" % (name, bad))
    roles = {props(r).get("RoleName", {}).get("Fn::Sub", "") if isinstance(props(r).get("RoleName"), dict) else ""
             for r in resources(tpl, "AWS::IAM::Role").values()}
    for sa in ("cluster-autoscaler", "aws-load-balancer-controller", "external-dns", "external-secrets"):
        role = "sugang-${EnvironmentName}-" + sa
        p.check(role in roles, "IRSA role %s" % role, "IAM role for service account %s missing" % role)
    addons = {props(a).get("AddonName") for a in resources(tpl, "AWS::EKS::Addon").values()}
    p.check("amazon-cloudwatch-observability" in addons, "add-on amazon-cloudwatch-observability",
            "the amazon-cloudwatch-observability add-on is missing")


# ---- RDS -----------------------------------------------------------------------------------------------
def check_rds(templates, params, net, p):
    tpl = templates.get("database.yaml")
    if tpl is None:
        p.check(False, "", "database.yaml is missing")
        return
    dbs = resources(tpl, "AWS::RDS::DBInstance")
    p.check(len(dbs) == 1, "one RDS instance", "expected one RDS instance, found %d" % len(dbs))
    for name, db in dbs.items():
        pr = props(db)
        p.check(pr.get("Engine") == "mysql" and str(pr.get("EngineVersion", "")).startswith("8.0")
                or (pr.get("Engine") == "mysql" and isinstance(pr.get("EngineVersion"), dict)
                    and all(str(v).startswith("8.0") for v in param_values(templates, params, tpl, pr["EngineVersion"]).values())),
                "RDS MySQL 8.0", "RDS must be engine mysql version 8.0")
        p.check(pr.get("MultiAZ") is True, "RDS MultiAZ: true", "RDS is not Multi-AZ (MultiAZ must be true)")
        p.check(pr.get("PubliclyAccessible") is False, "RDS not publicly accessible",
                "public RDS: PubliclyAccessible must be false")
        p.check(pr.get("StorageEncrypted") is True and bool(pr.get("KmsKeyId")), "RDS storage encrypted with the environment key",
                "RDS storage is not encrypted (StorageEncrypted true and KmsKeyId)")
        retention = param_values(templates, params, tpl, pr.get("BackupRetentionPeriod", 0))
        p.check(all(v is not None and int(v) >= 1 for v in retention.values()),
                "automated backups retained %s days" % retention, "RDS automated backups off (BackupRetentionPeriod %s)" % retention)
        p.check(pr.get("EnablePerformanceInsights") is True, "Performance Insights on", "Performance Insights off")
        dp = param_values(templates, params, tpl, pr.get("DeletionProtection", False))
        p.check(is_true(dp.get("prod", dp.get("literal"))), "deletion protection on in prod (%s)" % dp,
                "deletion protection is not on in the production parameters (%s)" % dp)
        p.check(db.get("DeletionPolicy") in ("Snapshot", "Retain"), "DeletionPolicy %s" % db.get("DeletionPolicy"),
                "RDS DeletionPolicy must be Snapshot or Retain")
    for name, g in resources(tpl, "AWS::RDS::DBSubnetGroup").items():
        check_private("RDS subnet group %s" % name, props(g).get("SubnetIds"), net, p)
    groups = resources(tpl, "AWS::RDS::DBParameterGroup")
    settings = {}
    for g in groups.values():
        settings.update({k: v for k, v in (props(g).get("Parameters") or {}).items()})
    want = {"transaction_isolation": {"READ-COMMITTED"}, "time_zone": {"UTC"},
            "require_secure_transport": {"1", "ON"}}
    for key, allowed in want.items():
        p.check(str(settings.get(key)) in allowed, "parameter group %s = %s" % (key, settings.get(key)),
                "parameter group must set %s to %s (has %s)" % (key, " or ".join(sorted(allowed)), settings.get(key)))
    p.check("innodb_lock_wait_timeout" in settings, "parameter group sets innodb_lock_wait_timeout",
            "parameter group must set innodb_lock_wait_timeout")
    check_nodes_only("RDS", tpl, p)


# ---- ElastiCache ----------------------------------------------------------------------------------------
def check_cache(templates, params, net, p):
    tpl = templates.get("cache.yaml")
    if tpl is None:
        p.check(False, "", "cache.yaml is missing")
        return
    groups = resources(tpl, "AWS::ElastiCache::ReplicationGroup")
    p.check(len(groups) == 1, "one Redis replication group", "expected one Redis replication group, found %d" % len(groups))
    for name, g in groups.items():
        pr = props(g)
        p.check(pr.get("MultiAZEnabled") is True, "Redis Multi-AZ", "Redis is not Multi-AZ (MultiAZEnabled must be true)")
        p.check(pr.get("AutomaticFailoverEnabled") is True, "Redis automatic failover",
                "Redis automatic failover is off (AutomaticFailoverEnabled must be true)")
        p.check(int(pr.get("NumCacheClusters", 1)) >= 2, "Redis primary + replica", "Redis needs NumCacheClusters >= 2")
        p.check(pr.get("AtRestEncryptionEnabled") is True, "Redis encrypted at rest", "Redis is not encrypted at rest")
        p.check(pr.get("TransitEncryptionEnabled") is True and pr.get("TransitEncryptionMode", "required") == "required",
                "Redis TLS in transit required", "Redis in-transit encryption must be enabled and required")
        token = json.dumps(pr.get("AuthToken"))
        p.check("resolve:secretsmanager" in token, "Redis AUTH token from Secrets Manager",
                "Redis AuthToken must come from Secrets Manager ({{resolve:secretsmanager:...}})")
    for name, g in resources(tpl, "AWS::ElastiCache::SubnetGroup").items():
        check_private("Redis subnet group %s" % name, props(g).get("SubnetIds"), net, p)
    check_nodes_only("Redis", tpl, p)


# ---- encryption everywhere -----------------------------------------------------------------------------
def check_encryption(templates, p):
    for fname, tpl in templates.items():
        for name, r in resources(tpl, "AWS::Logs::LogGroup").items():
            p.check(bool(props(r).get("KmsKeyId")) and bool(props(r).get("RetentionInDays")),
                    "%s log group %s encrypted, with retention" % (fname, name),
                    "%s log group %s needs KmsKeyId and RetentionInDays" % (fname, name))
        for name, r in resources(tpl, "AWS::SecretsManager::Secret").items():
            p.check(bool(props(r).get("KmsKeyId")), "%s secret %s encrypted with the environment key" % (fname, name),
                    "%s secret %s needs KmsKeyId" % (fname, name))
        for name, r in resources(tpl, "AWS::SNS::Topic").items():
            p.check(bool(props(r).get("KmsMasterKeyId")), "%s topic %s encrypted" % (fname, name),
                    "%s topic %s needs KmsMasterKeyId" % (fname, name))


# ---- edge ------------------------------------------------------------------------------------------------
def check_edge(templates, p):
    tpl = templates.get("edge.yaml")
    if tpl is None:
        p.check(False, "", "edge.yaml is missing")
        return
    rules = [r for acl in resources(tpl, "AWS::WAFv2::WebACL").values() for r in props(acl).get("Rules") or []]
    text = json.dumps(rules)
    p.check(any("RateBasedStatement" in (r.get("Statement") or {}) for r in rules), "WAF rate-based rule",
            "the WAF web ACL has no rate-based rule")
    p.check("AWSManagedRulesCommonRuleSet" in text, "WAF AWSManagedRulesCommonRuleSet",
            "the WAF web ACL lacks AWSManagedRulesCommonRuleSet")
    p.check(bool(resources(tpl, "AWS::CertificateManager::Certificate")), "ACM certificate", "no ACM certificate")


# ---- alarms against the docs -------------------------------------------------------------------------------
REQUIRED_METRICS = {
    "AWS/RDS": {"CPUUtilization", "DatabaseConnections", "FreeableMemory", "FreeStorageSpace"},
    "AWS/ElastiCache": {"EngineCPUUtilization", "DatabaseMemoryUsagePercentage", "Evictions", "ReplicationLag"},
    "AWS/ApplicationELB": {"HTTPCode_ELB_5XX_Count", "TargetResponseTime", "UnHealthyHostCount"},
}


def alarm_metrics(pr):
    if pr.get("MetricName"):
        yield pr.get("Namespace"), pr["MetricName"]
    for m in pr.get("Metrics") or []:
        metric = ((m.get("MetricStat") or {}).get("Metric") or {})
        if metric:
            yield metric.get("Namespace"), metric.get("MetricName")


def documented_alarms(deploying):
    with open(deploying) as f:
        text = f.read()
    m = re.search(r"^## CloudWatch alarms\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    if not m:
        return None
    names = set()
    for heading in re.findall(r"^### (.+)$", m.group(1), re.M):
        names.update(n.strip().strip("`") for n in heading.split("/"))
    return names


def check_alarms(templates, deploying, p):
    alarms, seen = {}, set()
    for fname, tpl in templates.items():
        for kind in ("AWS::CloudWatch::Alarm", "AWS::RDS::EventSubscription"):
            for name, r in resources(tpl, kind).items():
                alarms[name] = (fname, r)
                pr = props(r)
                label = pr.get("AlarmName") or pr.get("SubscriptionName")
                label = label.get("Fn::Sub") if isinstance(label, dict) else label
                p.check(isinstance(label, str) and label.startswith(name + "-"),
                        "%s named %s" % (name, label), "%s: its name %s must start with %s-" % (name, label, name))
                target = pr.get("AlarmActions") or [pr.get("SnsTopicArn")]
                p.check(bool(target) and all(isinstance(t, dict) and "Ref" in t for t in target),
                        "%s notifies the SNS topic" % name, "%s does not notify the SNS topic" % name)
                seen.update(alarm_metrics(pr))
                if kind == "AWS::RDS::EventSubscription" and "failover" in (pr.get("EventCategories") or []):
                    seen.add(("AWS/RDS", "failover-event"))
    for ns, metrics in REQUIRED_METRICS.items():
        for metric in sorted(metrics):
            p.check((ns, metric) in seen, "alarm on %s %s" % (ns, metric), "no alarm on %s %s" % (ns, metric))
    p.check(("AWS/RDS", "failover-event") in seen, "RDS failover events go to the topic",
            "no RDS event subscription for failover events")
    docs = documented_alarms(deploying)
    if docs is None:
        p.check(False, "", "%s has no section '## CloudWatch alarms'" % deploying)
        return
    for name in sorted(docs - set(alarms)):
        p.check(False, "", "alarm %s is documented in %s but missing from the templates" % (name, deploying))
    for name in sorted(set(alarms) - docs):
        p.check(False, "", "alarm %s is in %s but not documented in %s" % (name, alarms[name][0], deploying))
    if docs == set(alarms):
        p.check(True, "the %d alarms in the templates are exactly the documented ones" % len(docs), "")


# ---- parameter files -----------------------------------------------------------------------------------------
def check_params(templates, params, p):
    p.check("prod" in params, "parameter files: %s" % ", ".join(sorted(params)), "infra/aws/params/prod.json is missing")
    declared = {}
    for fname, tpl in templates.items():
        for name, decl in (tpl.get("Parameters") or {}).items():
            declared.setdefault(name, []).append((fname, decl))
    for env, values in params.items():
        for key in sorted(set(values) - set(declared)):
            p.check(False, "", "%s.json sets %s, which no template declares" % (env, key))
        for name, decls in sorted(declared.items()):
            for fname, decl in decls:
                if "Default" not in decl and name not in values:
                    p.check(False, "", "%s.json does not set %s (required by %s)" % (env, name, fname))
                if name in values and "AllowedValues" in decl and str(values[name]) not in [str(v) for v in decl["AllowedValues"]]:
                    p.check(False, "", "%s.json: %s=%s not allowed by %s" % (env, name, values[name], fname))
        p.check(values.get("EnvironmentName") == env, "%s.json EnvironmentName=%s" % (env, env),
                "%s.json must set EnvironmentName to %s" % (env, env))


def main(infra, deploying):
    templates = load_templates(infra)
    params = load_params(infra)
    p = Problems()
    print("  templates: %s" % ", ".join(templates))
    net = check_network(templates, p)
    check_eks(templates, params, net, p)
    check_rds(templates, params, net, p)
    check_cache(templates, params, net, p)
    check_encryption(templates, p)
    check_edge(templates, p)
    check_alarms(templates, deploying, p)
    check_params(templates, params, p)
    if p.items:
        print("  %d problem(s)" % len(p.items))
    return 1 if p.items else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
