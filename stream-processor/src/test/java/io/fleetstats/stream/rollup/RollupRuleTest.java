package io.fleetstats.stream.rollup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RollupRuleTest {
  private static final Map<String, String> TAGS =
      Map.of(
          "metric_type", "timing",
          "pod_name", "api-server-0",
          "cluster", "prod",
          "namespace", "fitcycle",
          "route", "/a");

  static Stream<Arguments> targets() {
    return Stream.of(
        Arguments.of(
            "drop pod and node: per app per cluster, from the cluster",
            "app:drop=pod_name,node",
            "prod",
            Map.of("cluster", "prod", "namespace", "fitcycle", "route", "/a", "rollup", "app")),
        Arguments.of(
            "drop cluster too: fleet-wide, from 'fleet'",
            "fleet:drop=pod_name,node,cluster",
            "fleet",
            Map.of("namespace", "fitcycle", "route", "/a", "rollup", "fleet")),
        Arguments.of(
            "keep node: per node, from the node",
            "node:keep=node,cluster",
            "node-1",
            Map.of("cluster", "prod", "rollup", "node")),
        Arguments.of(
            "keep nothing: one series per name and type",
            "all:keep=",
            "fleet",
            Map.of("rollup", "all")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("targets")
  void targetTagsAndSource(String name, String rule, String source, Map<String, String> tags) {
    RollupRule.Target t = RollupRule.parse(rule).get(0).target("node-1", TAGS);
    assertThat(t.source()).isEqualTo(source);
    assertThat(t.tags()).isEqualTo(new TreeMap<>(tags));
  }

  @Test
  void idIsSourceNameTypeAndSortedTags() {
    RollupRule.Target t =
        RollupRule.parse("app:drop=pod_name,node,route").get(0).target("node-1", TAGS);
    assertThat(t.id("api.time", "timing"))
        .isEqualTo("rollup/prod|api.time|timing|cluster=prod,namespace=fitcycle,rollup=app");
  }

  @Test
  void parsesSeveralRulesWithSpaces() {
    assertThat(
            RollupRule.parse(" app : drop = pod_name , node ; fleet:drop=pod_name,node,cluster ;"))
        .containsExactly(
            new RollupRule("app", false, Set.of("pod_name", "node")),
            new RollupRule("fleet", false, Set.of("pod_name", "node", "cluster")));
    assertThat(RollupRule.parse("")).isEmpty();
    assertThat(RollupRule.parse(null)).isEmpty();
  }

  static Stream<Arguments> bad() {
    return Stream.of(
        Arguments.of("no mode", "app", "is not <name>:drop="),
        Arguments.of("unknown mode", "app:group=pod_name", "neither drop nor keep"),
        Arguments.of("bad name", "a b:drop=x", "letters, digits"),
        Arguments.of("name twice", "a:drop=x;a:drop=y", "used twice"),
        Arguments.of("drops nothing", "a:drop=", "drops no tag"),
        Arguments.of("metric_type listed", "a:drop=metric_type", "cannot be listed"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("bad")
  void rejectsWithAClearMessage(String name, String raw, String message) {
    assertThatThrownBy(() -> RollupRule.parse(raw))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }
}
