package io.fleetstats.edge.statsd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.argumentSet;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The whole grammar, table-driven. Rows named {@code Test...} are the cases of Telegraf's {@code
 * plugins/inputs/statsd/statsd_test.go} (HEAD b2726314) that apply to a parser, run with Telegraf's
 * defaults (spec {@code telegraf}: separator {@code _}) so the expected names are the ones
 * Telegraf's test expects. Rows citing statsd_exporter are from its {@code pkg/line/line_test.go}.
 * Columns: options spec ({@link ParserSpec}), line, expected rendering.
 */
class StatsdGrammarTest {

  static Stream<Arguments> telegrafCases() {
    return Stream.of(
        // TestParse_ValidLines
        argumentSet("TestParse_ValidLines counter", "telegraf", "valid:45|c", "valid COUNTER 45.0"),
        argumentSet("TestParse_ValidLines set", "telegraf", "valid:45|s", "valid SET 45"),
        argumentSet("TestParse_ValidLines gauge", "telegraf", "valid:45|g", "valid GAUGE 45.0"),
        argumentSet(
            "TestParse_ValidLines timer",
            "telegraf",
            "valid.timer:45|ms",
            "valid_timer TIMER 45.0"),
        argumentSet(
            "TestParse_ValidLines histogram",
            "telegraf",
            "valid.timer:45|h",
            "valid_timer HISTOGRAM 45.0"),
        // TestParse_Gauges
        argumentSet(
            "TestParse_Gauges absolute", "telegraf", "plus.minus:100|g", "plus_minus GAUGE 100.0"),
        argumentSet(
            "TestParse_Gauges minus is relative",
            "telegraf",
            "plus.minus:-10|g",
            "plus_minus GAUGE -10.0 relative"),
        argumentSet(
            "TestParse_Gauges plus is relative",
            "telegraf",
            "plus.minus:+30|g",
            "plus_minus GAUGE 30.0 relative"),
        argumentSet(
            "TestParse_Gauges lone minus",
            "telegraf",
            "lone.minus:-100|g",
            "lone_minus GAUGE -100.0 relative"),
        argumentSet(
            "TestParse_Gauges scientific",
            "telegraf",
            "scientific.notation:4.696E+5|g",
            "scientific_notation GAUGE 469600.0"),
        argumentSet(
            "TestParse_Gauges scientific minus",
            "telegraf",
            "scientific.notation.minus:4.7E-5|g",
            "scientific_notation_minus GAUGE 4.7E-5"),
        // TestParse_Sets
        argumentSet(
            "TestParse_Sets number member",
            "telegraf",
            "unique.user.ids:100|s",
            "unique_user_ids SET 100"),
        argumentSet(
            "TestParse_Sets member kept as text",
            "telegraf",
            "scientific.notation.sets:4.696E+5|s",
            "scientific_notation_sets SET 4.696E+5"),
        argumentSet(
            "TestParse_Sets string member",
            "telegraf",
            "string.sets:foobar|s",
            "string_sets SET foobar"),
        // TestParse_Counters: the weight of @0.1 is exactly 10 downstream (1/rate), rate kept raw
        argumentSet(
            "TestParse_Counters small", "telegraf", "small.inc:1|c", "small_inc COUNTER 1.0"),
        argumentSet(
            "TestParse_Counters big", "telegraf", "big.inc:1000000|c", "big_inc COUNTER 1000000.0"),
        argumentSet(
            "TestParse_Counters zero", "telegraf", "zero.init:0|c", "zero_init COUNTER 0.0"),
        argumentSet(
            "TestParse_Counters sample rate",
            "telegraf",
            "sample.rate:1|c|@0.1",
            "sample_rate COUNTER 1.0 @0.1"),
        argumentSet(
            "TestParse_Counters scientific",
            "telegraf",
            "scientific.notation:4.696E+5|c",
            "scientific_notation COUNTER 469600.0"),
        argumentSet(
            "TestParse_Counters negative is not relative",
            "telegraf",
            "negative.test:-5|c",
            "negative_test COUNTER -5.0"),
        // TestParse_Timings, TestParse_Distributions
        argumentSet("TestParse_Timings", "telegraf", "test.timing:11|ms", "test_timing TIMER 11.0"),
        argumentSet(
            "TestParse_Distributions (always on here)",
            "telegraf",
            "test.distribution:1|d",
            "test_distribution DISTRIBUTION 1.0"),
        // TestParseScientificNotation
        argumentSet(
            "TestParseScientificNotation ms",
            "telegraf",
            "scientific.notation:4.6968460083008E-5|ms",
            "scientific_notation TIMER 4.6968460083008E-5"),
        argumentSet(
            "TestParseScientificNotation g",
            "telegraf",
            "scientific.notation:4.6968460083008E-5|g",
            "scientific_notation GAUGE 4.6968460083008E-5"),
        argumentSet(
            "TestParseScientificNotation c",
            "telegraf",
            "scientific.notation:4.6968460083008E-5|c",
            "scientific_notation COUNTER 4.6968460083008E-5"),
        argumentSet(
            "TestParseScientificNotation h",
            "telegraf",
            "scientific.notation:4.6968460083008E-5|h",
            "scientific_notation HISTOGRAM 4.6968460083008E-5"),
        // TestParse_InvalidLines
        argumentSet(
            "TestParse_InvalidLines no pipe",
            "telegraf",
            "i.dont.have.a.pipe:45g",
            "REJECT MISSING_TYPE"),
        argumentSet(
            "TestParse_InvalidLines no colon",
            "telegraf",
            "i.dont.have.a.colon45|c",
            "REJECT MISSING_VALUE"),
        argumentSet(
            "TestParse_InvalidLines bad type",
            "telegraf",
            "invalid.metric.type:45|e",
            "REJECT BAD_TYPE"),
        argumentSet(
            "TestParse_InvalidLines plus on set",
            "telegraf",
            "invalid.plus.minus.non.gauge:+10|s",
            "REJECT BAD_VALUE"),
        argumentSet(
            "TestParse_InvalidLines plus on timer",
            "telegraf",
            "invalid.plus.minus.non.gauge:+10|ms",
            "REJECT BAD_VALUE"),
        argumentSet(
            "TestParse_InvalidLines plus on histogram",
            "telegraf",
            "invalid.plus.minus.non.gauge:+10|h",
            "REJECT BAD_VALUE"),
        argumentSet(
            "TestParse_InvalidLines word",
            "telegraf",
            "invalid.value:foobar|c",
            "REJECT BAD_VALUE"),
        argumentSet(
            "TestParse_InvalidLines letter first",
            "telegraf",
            "invalid.value:d11|c",
            "REJECT BAD_VALUE"),
        argumentSet(
            "TestParse_InvalidLines letter inside",
            "telegraf",
            "invalid.value:1d1|c",
            "REJECT BAD_VALUE"),
        // TestParse_InvalidSampleRate
        argumentSet(
            "TestParse_InvalidSampleRate rate without @ is skipped",
            "telegraf",
            "invalid.sample.rate:45|c|0.1",
            "invalid_sample_rate COUNTER 45.0"),
        argumentSet(
            "TestParse_InvalidSampleRate unreadable rate (diverges: rejected, counted)",
            "telegraf",
            "invalid.sample.rate.2:45|c|@foo",
            "REJECT BAD_SAMPLE_RATE"),
        argumentSet(
            "TestParse_InvalidSampleRate gauge keeps raw rate (unused downstream)",
            "telegraf",
            "invalid.sample.rate:45|g|@0.1",
            "invalid_sample_rate GAUGE 45.0 @0.1"),
        argumentSet(
            "TestParse_InvalidSampleRate set keeps raw rate (unused downstream)",
            "telegraf",
            "invalid.sample.rate:45|s|@0.1",
            "invalid_sample_rate SET 45 @0.1"),
        // TestParse_DefaultNameParsing, TestParseName
        argumentSet(
            "TestParse_DefaultNameParsing",
            "telegraf",
            "valid.foo-bar:11|c",
            "valid_foo-bar COUNTER 11.0"),
        argumentSet("TestParseName foobar", "telegraf", "foobar:1|c", "foobar COUNTER 1.0"),
        argumentSet("TestParseName foo.bar", "telegraf", "foo.bar:1|c", "foo_bar COUNTER 1.0"),
        argumentSet(
            "TestParseName foo.bar-baz", "telegraf", "foo.bar-baz:1|c", "foo_bar-baz COUNTER 1.0"),
        argumentSet(
            "TestParseName separator .", "sep=.", "foo.bar-baz:1|c", "foo.bar-baz COUNTER 1.0"),
        // TestParse_Template, TestParse_TemplateFilter, TestParse_TemplateSpecificity
        argumentSet(
            "TestParse_Template 3 parts",
            "telegraf;template=measurement.measurement.host.service",
            "cpu.idle.localhost:1|c",
            "cpu_idle COUNTER 1.0 {host=localhost}"),
        argumentSet(
            "TestParse_Template 4 parts",
            "telegraf;template=measurement.measurement.host.service",
            "cpu.busy.host01.myservice:11|c",
            "cpu_busy COUNTER 11.0 {host=host01,service=myservice}"),
        argumentSet(
            "TestParse_TemplateFilter match",
            "telegraf;template=cpu.idle.* measurement.measurement.host",
            "cpu.idle.localhost:1|c",
            "cpu_idle COUNTER 1.0 {host=localhost}"),
        argumentSet(
            "TestParse_TemplateFilter no match",
            "telegraf;template=cpu.idle.* measurement.measurement.host",
            "cpu.busy.host01.myservice:11|c",
            "cpu_busy_host01_myservice COUNTER 11.0"),
        argumentSet(
            "TestParse_TemplateSpecificity",
            "telegraf;template=cpu.* measurement.foo.host;template=cpu.idle.* measurement.measurement.host",
            "cpu.idle.localhost:1|c",
            "cpu_idle COUNTER 1.0 {host=localhost}"),
        // TestParse_TemplateFields, TestParse_TimingsMultipleFields*: the field joins the name
        argumentSet(
            "TestParse_TemplateFields counter",
            "telegraf;template=* measurement.measurement.field",
            "my.counter.f1:1|c",
            "my_counter_f1 COUNTER 1.0"),
        argumentSet(
            "TestParse_TemplateFields gauge",
            "telegraf;template=* measurement.measurement.field",
            "my.gauge.f2:10.1|g",
            "my_gauge_f2 GAUGE 10.1"),
        argumentSet(
            "TestParse_TemplateFields set",
            "telegraf;template=* measurement.measurement.field",
            "my.set.f1:2|s",
            "my_set_f1 SET 2"),
        argumentSet(
            "TestParse_TimingsMultipleFieldsWithTemplate",
            "telegraf;template=measurement.field",
            "test_timing.success:1|ms",
            "test_timing_success TIMER 1.0"),
        argumentSet(
            "TestParse_TimingsMultipleFieldsWithoutTemplate",
            "telegraf",
            "test_timing.error:22|ms",
            "test_timing_error TIMER 22.0"),
        // TestParse_Tags, TestParse_MeasurementsWithSameName, TestParseKeyValue, TestParse_KeyValue
        argumentSet(
            "TestParse_Tags one",
            "telegraf",
            "cpu.idle,host=localhost:1|c",
            "cpu_idle COUNTER 1.0 {host=localhost}"),
        argumentSet(
            "TestParse_Tags three",
            "telegraf",
            "cpu.idle,host=localhost,color=red,region=west:1|c",
            "cpu_idle COUNTER 1.0 {color=red,host=localhost,region=west}"),
        argumentSet(
            "TestParse_MeasurementsWithSameName",
            "telegraf",
            "test.counter,host=localhost,region=west:1|c",
            "test_counter COUNTER 1.0 {host=localhost,region=west}"),
        argumentSet(
            "TestParseKeyValue piece without = is ignored",
            "telegraf",
            "a,baz,foo=bar:1|c",
            "a COUNTER 1.0 {foo=bar}"),
        argumentSet(
            "TestParse_KeyValue value keeps later =",
            "telegraf",
            "a,url=/api/querystring?key1=val1&key2=value:1|c",
            "a COUNTER 1.0 {url=/api/querystring?key1=val1&key2=value}"),
        // TestParse_DataDogTags
        argumentSet(
            "TestParse_DataDogTags counter",
            "telegraf",
            "my_counter:1|c|#host:localhost,environment:prod,endpoint:/:tenant?/oauth/ro",
            "my_counter COUNTER 1.0 {endpoint=/:tenant?/oauth/ro,environment=prod,host=localhost}"),
        argumentSet(
            "TestParse_DataDogTags gauge flag",
            "telegraf",
            "my_gauge:10.1|g|#live",
            "my_gauge GAUGE 10.1 {live=true}"),
        argumentSet(
            "TestParse_DataDogTags set",
            "telegraf",
            "my_set:1|s|#host:localhost",
            "my_set SET 1 {host=localhost}"),
        argumentSet(
            "TestParse_DataDogTags timer",
            "telegraf",
            "my_timer:3|ms|@0.1|#live,host:localhost",
            "my_timer TIMER 3.0 @0.1 {host=localhost,live=true}"),
        argumentSet(
            "TestParse_DataDogTags empty tag set", "telegraf", "cpu:42|c|#", "cpu COUNTER 42.0"),
        // TestParse_DataDogContainerID
        argumentSet(
            "TestParse_DataDogContainerID keep",
            "telegraf;keepContainer",
            "my_counter:1|c|#host:localhost,endpoint:/:tenant?/oauth/ro|c:f76b5a1c03ca",
            "my_counter COUNTER 1.0 {container=f76b5a1c03ca,endpoint=/:tenant?/oauth/ro,host=localhost}"),
        argumentSet(
            "TestParse_DataDogContainerID keep, empty tag set",
            "telegraf;keepContainer",
            "cpu:42|c|#|c:f76b5a1c03ca",
            "cpu COUNTER 42.0 {container=f76b5a1c03ca}"),
        argumentSet(
            "TestParse_DataDogContainerID drop it",
            "telegraf",
            "cpu:42|c|#live,host:localhost|c:f76b5a1c03ca",
            "cpu COUNTER 42.0 {host=localhost,live=true}"),
        // TestParse_MeasurementsWithMultipleValues
        argumentSet(
            "TestParse_MeasurementsWithMultipleValues timer with rate and empty field",
            "telegraf",
            "valid.multiple:0|ms|@0.1:0|ms|:1|ms",
            "valid_multiple TIMER 0.0 @0.1 ; valid_multiple TIMER 0.0 ; valid_multiple TIMER 1.0"),
        argumentSet(
            "TestParse_MeasurementsWithMultipleValues trailing empty field",
            "telegraf",
            "valid.multiple:0|ms|",
            "valid_multiple TIMER 0.0"),
        argumentSet(
            "TestParse_MeasurementsWithMultipleValues counters",
            "telegraf",
            "valid.multiple.duplicate:1|c:1|c:2|c:1|c",
            "valid_multiple_duplicate COUNTER 1.0 ; valid_multiple_duplicate COUNTER 1.0 ; valid_multiple_duplicate COUNTER 2.0 ; valid_multiple_duplicate COUNTER 1.0"),
        argumentSet(
            "TestParse_MeasurementsWithMultipleValues sets",
            "telegraf",
            "valid.multiple.duplicate:1|s:1|s:2|s:1|s",
            "valid_multiple_duplicate SET 1 ; valid_multiple_duplicate SET 1 ; valid_multiple_duplicate SET 2 ; valid_multiple_duplicate SET 1"),
        argumentSet(
            "TestParse_MeasurementsWithMultipleValues mixed",
            "telegraf",
            "valid.multiple.mixed:1|c:1|ms:2|s:1|g",
            "valid_multiple_mixed COUNTER 1.0 ; valid_multiple_mixed TIMER 1.0 ; valid_multiple_mixed SET 2 ; valid_multiple_mixed GAUGE 1.0"),
        // TestParseSanitize (upstream) and TestParseNoSanitize (Telegraf's default)
        argumentSet(
            "TestParseSanitize blanks",
            "telegraf;sanitize=upstream",
            "regex.ARP flood stats:1|c",
            "regex_ARP_flood_stats COUNTER 1.0"),
        argumentSet(
            "TestParseSanitize slashes",
            "telegraf;sanitize=upstream",
            "regex./dev/null:1|c",
            "regex_-dev-null COUNTER 1.0"),
        argumentSet(
            "TestParseSanitize bangs",
            "telegraf;sanitize=upstream",
            "regex.wow!!!:1|c",
            "regex_wow COUNTER 1.0"),
        argumentSet(
            "TestParseSanitize star",
            "telegraf;sanitize=upstream",
            "regex.all*things:1|c",
            "regex_allthings COUNTER 1.0"),
        argumentSet(
            "TestParseNoSanitize blanks cut the name",
            "telegraf",
            "regex.ARP flood stats:1|c",
            "regex_ARP COUNTER 1.0"),
        argumentSet(
            "TestParseNoSanitize slashes",
            "telegraf",
            "regex./dev/null:1|c",
            "regex_/dev/null COUNTER 1.0"),
        argumentSet(
            "TestParseNoSanitize bangs",
            "telegraf",
            "regex.wow!!!:1|c",
            "regex_wow!!! COUNTER 1.0"),
        argumentSet(
            "TestParseNoSanitize star",
            "telegraf",
            "regex.all*things:1|c",
            "regex_all*things COUNTER 1.0"),
        // TestParse_InvalidAndRecoverIntegration (the recovery is in the golden case
        // invalid-and-recover)
        argumentSet(
            "TestParse_InvalidAndRecoverIntegration missing value",
            "telegraf",
            "test.service.stat.missing_value:|h",
            "REJECT MISSING_VALUE"),
        // TestTCP, TestUdp (the transports are in StatsdCodecTest)
        argumentSet(
            "TestTCP / TestUdp line",
            "telegraf",
            "cpu.time_idle:42|c",
            "cpu_time_idle COUNTER 42.0"));
  }

  static Stream<Arguments> tagDialects() {
    return Stream.of(
        argumentSet(
            "statsd_exporter librato tag extension",
            "default",
            "foo#tag1=bar,tag2=baz:100|c",
            "foo COUNTER 100.0 {tag1=bar,tag2=baz}"),
        argumentSet(
            "statsd_exporter influxdb tag extension",
            "default",
            "foo,tag1=bar,tag2=baz:100|c",
            "foo COUNTER 100.0 {tag1=bar,tag2=baz}"),
        argumentSet(
            "statsd_exporter SignalFx tag extension",
            "default",
            "foo.[tag1=bar,tag2=baz]test:100|c",
            "foo.test COUNTER 100.0 {tag1=bar,tag2=baz}"),
        argumentSet(
            "statsd_exporter SignalFx tags at end of name",
            "default",
            "foo.test[tag1=bar,tag2=baz]:100|c",
            "foo.test COUNTER 100.0 {tag1=bar,tag2=baz}"),
        argumentSet(
            "statsd_exporter SignalFx tags at beginning of name",
            "default",
            "[tag1=bar,tag2=baz]foo.test:100|c",
            "foo.test COUNTER 100.0 {tag1=bar,tag2=baz}"),
        argumentSet(
            "statsd_exporter SignalFx no tags",
            "default",
            "foo.[]test:100|c",
            "foo.test COUNTER 100.0"),
        argumentSet(
            "statsd_exporter SignalFx non-kv tags",
            "default",
            "foo.[tag1,tag2]test:100|c",
            "foo.test COUNTER 100.0"),
        argumentSet(
            "statsd_exporter SignalFx missing closing bracket",
            "default",
            "[tag1=bar,tag2=bazfoo.test:100|c",
            "[tag1=bar,tag2=bazfoo.test COUNTER 100.0"),
        argumentSet(
            "statsd_exporter SignalFx missing opening bracket",
            "default",
            "tag1=bar,tag2=baz]foo.test:100|c",
            "tag1=bar,tag2=baz]foo.test COUNTER 100.0"),
        argumentSet(
            "signalfx then influx tags",
            "default",
            "foo[a=1],b=2:1|c",
            "foo COUNTER 1.0 {a=1,b=2}"),
        argumentSet(
            "mixed styles: dogstatsd wins (Telegraf), statsd_exporter would reject",
            "default",
            "foo#tag1=foo,tag3=bing:100|c|#tag1:bar,tag2:baz",
            "foo COUNTER 100.0 {tag1=bar,tag2=baz,tag3=bing}"),
        argumentSet(
            "micrometer sysdig flavor is librato",
            "default",
            "queue.size#statistic=value,queue=q1:7|g",
            "queue.size GAUGE 7.0 {queue=q1,statistic=value}"),
        argumentSet(
            "librato off: # stays in the name",
            "no=librato",
            "foo#tag1=bar:1|c",
            "foo#tag1=bar COUNTER 1.0"),
        argumentSet(
            "influx off: , stays in the name",
            "no=influx",
            "foo,tag1=bar:1|c",
            "foo,tag1=bar COUNTER 1.0"),
        argumentSet(
            "librato off, influx on: , still cuts",
            "no=librato",
            "foo#x,tag1=bar:1|c",
            "foo#x COUNTER 1.0 {tag1=bar}"),
        argumentSet(
            "signalfx off: brackets stay", "no=signalfx", "foo[a=1]:1|c", "foo[a=1] COUNTER 1.0"),
        argumentSet(
            "dogstatsd off: tag field skipped", "no=dogstatsd", "foo:1|c|#a:b", "foo COUNTER 1.0"),
        argumentSet(
            "first of # and , cuts", "default", "foo,a=1#b=2:1|c", "foo COUNTER 1.0 {a=1#b=2}"),
        argumentSet("empty influx tag value kept", "default", "foo,a=:1|c", "foo COUNTER 1.0 {a=}"),
        argumentSet(
            "influx key without value piece ignored", "default", "foo,=v:1|c", "foo COUNTER 1.0"),
        argumentSet(
            "dogstatsd empty key ignored", "default", "foo:1|c|#:v,k:w", "foo COUNTER 1.0 {k=w}"));
  }

  static Stream<Arguments> names() {
    return Stream.of(
        argumentSet(
            "default separator keeps dots",
            "default",
            "api.server.calls:1|c",
            "api.server.calls COUNTER 1.0"),
        argumentSet(
            "blank cuts the name (Telegraf default)",
            "default",
            "My App/req time:1|ms",
            "My TIMER 1.0"),
        argumentSet(
            "sanitize none keeps blanks",
            "sanitize=none",
            "My App/req time:1|ms",
            "My App/req time TIMER 1.0"),
        argumentSet(
            "sanitize upstream",
            "sanitize=upstream",
            "My App/req time:1|ms",
            "My_App-req_time TIMER 1.0"),
        argumentSet(
            "upstream collapses blank runs", "sanitize=upstream", "a \t b:1|c", "a_b COUNTER 1.0"),
        argumentSet("convert_names", "convert", "a.b-c:1|c", "a_b__c COUNTER 1.0"),
        argumentSet(
            "template with extra tags",
            "template=measurement.measurement.region dc=1a",
            "cpu.usage.eu-east:1|g",
            "cpu.usage GAUGE 1.0 {dc=1a,region=eu-east}"),
        argumentSet(
            "template field* (TEMPLATE_PATTERN.md)",
            "sep=_;template=measurement.measurement.region.field*",
            "cpu.usage.eu-east.idle.percentage:1|g",
            "cpu_usage_idle_percentage GAUGE 1.0 {region=eu-east}"),
        argumentSet(
            "template region.region.measurement* (TEMPLATE_PATTERN.md)",
            "template=region.region.measurement*",
            "us.west.cpu.load:100|g",
            "cpu.load GAUGE 100.0 {region=us.west}"),
        argumentSet(
            "template tag wins over bucket tag",
            "template=host.measurement*",
            "h1.cpu,host=h2:1|c",
            "cpu COUNTER 1.0 {host=h1}"),
        argumentSet(
            "dogstatsd tag wins over template tag",
            "template=host.measurement*",
            "h1.cpu:1|c|#host:h3",
            "cpu COUNTER 1.0 {host=h3}"),
        argumentSet(
            "template own separator",
            "template=_ * measurement_host",
            "cpu_h1:1|c",
            "cpu COUNTER 1.0 {host=h1}"),
        argumentSet(
            "template field value adds nothing",
            "template=measurement.field",
            "cpu.value:1|c",
            "cpu COUNTER 1.0"),
        argumentSet(
            "template leaves no measurement",
            "template=host.measurement",
            "onlyhost:1|c",
            "REJECT EMPTY_NAME"),
        argumentSet("name limit", "maxName=5", "abcdef:1|c", "REJECT NAME_TOO_LONG"),
        argumentSet(
            "name limit after tags are cut",
            "maxName=5",
            "abcde,k=v:1|c",
            "abcde COUNTER 1.0 {k=v}"),
        argumentSet("tag count limit", "maxTags=2", "a,x=1,y=2:1|c|#z:3", "REJECT TOO_MANY_TAGS"),
        argumentSet(
            "tag count at the limit", "maxTags=2", "a,x=1:1|c|#z:3", "a COUNTER 1.0 {x=1,z=3}"),
        argumentSet("tag value limit", "maxTag=3", "a:1|c|#k:abcd", "REJECT TAG_TOO_LONG"),
        argumentSet("tag key limit", "maxTag=3", "a,abcd=1:1|c", "REJECT TAG_TOO_LONG"),
        argumentSet("line limit", "maxLine=10", "abcdefgh:1|c", "REJECT LINE_TOO_LONG"));
  }

  static Stream<Arguments> values() {
    return Stream.of(
        argumentSet(
            "dogstatsd packed distribution",
            "default",
            "a:1:2.5:3|d",
            "a DISTRIBUTION 1.0 ; a DISTRIBUTION 2.5 ; a DISTRIBUTION 3.0"),
        argumentSet(
            "dogstatsd packed timer with rate and tags",
            "default",
            "a:1:2|ms|@0.5|#k:v",
            "a TIMER 1.0 @0.5 {k=v} ; a TIMER 2.0 @0.5 {k=v}"),
        argumentSet("packed counter is not allowed", "default", "a:1:2|c", "REJECT BAD_VALUE"),
        argumentSet("packed with a bad value", "default", "a:1:x|h", "REJECT BAD_VALUE"),
        argumentSet("negative timer (Telegraf rejects)", "default", "a:-1|ms", "a TIMER -1.0"),
        argumentSet("negative histogram", "default", "a:-1.5|h", "a HISTOGRAM -1.5"),
        argumentSet("timestamp field skipped", "default", "a:1|g|T1700000000", "a GAUGE 1.0"),
        argumentSet(
            "T not followed by digits is unknown, skipped", "default", "a:1|g|Tx", "a GAUGE 1.0"),
        argumentSet("surrounding blanks trimmed", "default", "  a:1|c \t", "a COUNTER 1.0"),
        argumentSet(
            "dogstatsd event", "default", "_e{5,4}:title|text", "REJECT EVENT_NOT_SUPPORTED"),
        argumentSet(
            "dogstatsd service check", "default", "_sc|my.check|0", "REJECT EVENT_NOT_SUPPORTED"),
        argumentSet(
            "rate then next value",
            "default",
            "a:1|c|@0.25:2|c",
            "a COUNTER 1.0 @0.25 ; a COUNTER 2.0"),
        argumentSet("rate exactly one", "default", "a:1|c|@1", "a COUNTER 1.0"),
        argumentSet("tiny rate", "default", "a:1|c|@0.001", "a COUNTER 1.0 @0.001"));
  }

  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource({"telegrafCases", "tagDialects", "names", "values"})
  void parses(String spec, String line, String expected) {
    StatsdParser parser = new StatsdParser(ParserSpec.options(spec));
    assertThat(ParserSpec.render(parser.parse(line))).isEqualTo(expected);
  }

  @Test
  void rejectsTemplateWithoutMeasurement() {
    assertThatThrownBy(() -> NameTemplates.compile(List.of("host.field"), "."))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'host.field' names no measurement part");
  }

  @Test
  void rejectsTemplateWithBothGreedyParts() {
    assertThatThrownBy(() -> NameTemplates.compile(List.of("measurement*.field*"), "."))
        .hasMessageContaining("both measurement* and field*");
  }

  @Test
  void rejectsTemplateWithBadTagsAndTooManyWords() {
    assertThatThrownBy(() -> NameTemplates.compile(List.of("* measurement.host dc"), "."))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> NameTemplates.compile(List.of("* measurement k="), "."))
        .hasMessageContaining("bad tag 'k='");
    assertThatThrownBy(() -> NameTemplates.compile(List.of("a b c d e"), "."))
        .hasMessageContaining("has 5 words");
  }
}
