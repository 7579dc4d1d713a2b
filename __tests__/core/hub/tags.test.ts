import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/core/errors.ts';
import type { Catalogue } from '../../../src/core/hub/discover.ts';
import { modelSchema } from '../../../src/core/hub/model.ts';
import type { DiscoveredModel, ModelOrigin } from '../../../src/core/hub/model.ts';
import { parseTag, selectModels, splitTags } from '../../../src/core/hub/tags.ts';

function entry(raw: Record<string, unknown>, kind: ModelOrigin['kind'] = 'root', index = 0): DiscoveredModel {
  const file = kind === 'root' ? 'models.json' : kind === 'static' ? 'scripts/x/models.json' : 'scripts/x/get_models_json.py';
  return { model: modelSchema.parse(raw), origin: { file, kind, index } };
}

function catalogue(...models: DiscoveredModel[]): Catalogue {
  return { hubDir: '/hub', models };
}

const names = (selected: readonly DiscoveredModel[]): string[] => selected.map((item) => item.model.name);

describe('splitTags', () => {
  it('splits every value on commas, trims and drops empties', () => {
    assert.deepEqual(splitTags(['a,b', ' c ', '', ' , d ,,', 'm:x=1']), ['a', 'b', 'c', 'd', 'm:x=1']);
  });
  it('returns an empty list for no values', () => {
    assert.deepEqual(splitTags([]), []);
    assert.deepEqual(splitTags([' , ']), []);
  });
});

describe('parseTag', () => {
  it('turns :k=v parts into arguments, replacing every =', () => {
    assert.equal(parseTag('dummy2/model2:batch-size=32').extraArgs, ' --batch-size 32');
    assert.equal(parseTag('m:a=1:b=2').extraArgs, ' --a 1 --b 2');
    assert.equal(parseTag('m:flag').extraArgs, ' --flag');
    assert.equal(parseTag('m:a=b=c').extraArgs, ' --a b c');
    assert.equal(parseTag('m:name=two words').extraArgs, ' --name two words');
    assert.equal(parseTag('m').extraArgs, '');
    assert.equal(parseTag('m: a=1 :: b ').extraArgs, ' --a 1 --b');
  });
  it('keeps plain values unquoted, as madengine wrote them (perf.csv args read the same)', () => {
    assert.equal(parseTag('m:batch_size=32:precision=fp16:lr=1e-4:out=data/x.bin').extraArgs, ' --batch_size 32 --precision fp16 --lr 1e-4 --out data/x.bin');
  });
  it('quotes every value that holds shell syntax, so it is one literal word', () => {
    assert.equal(parseTag('m:x=$(id)').extraArgs, " --x '$(id)'");
    assert.equal(parseTag('m:x=`id`;ls|wc&&a>f').extraArgs, " --x '`id`;ls|wc&&a>f'");
    assert.equal(parseTag("m:x=it's*").extraArgs, ` --x 'it'\\''s*'`);
    assert.equal(parseTag('m:x=a\nb').extraArgs, ' --x a b', 'a newline separates words like a blank (madengine word-split)');
  });
  it('rejects a key that is not an option name, naming the tag and what is valid', () => {
    for (const tag of ['m:$(touch x)=1', 'm:=5', 'm:-x=1', 'm:a;b=1', "m:'q'=1", 'm:x>y']) {
      assert.throws(
        () => parseTag(tag),
        (error: Error) => {
          assert.equal(error.name, 'ConfigError');
          assert.ok(error.message.startsWith(`tag '${tag}': `), error.message);
          assert.match(error.message, /letters, digits, '_', '-' and '\.', starting with a letter or digit/);
          return true;
        },
      );
    }
  });
  it('takes the selector before the first colon', () => {
    assert.equal(parseTag('dummy2/model2:batch-size=32').selector, 'dummy2/model2');
    assert.equal(parseTag(' m :x').selector, 'm');
  });
  it('is scoped only with exactly one slash, no colon and two non-empty halves', () => {
    assert.deepEqual(parseTag('sub/all').scope, { scope: 'sub', filter: 'all' });
    assert.equal(parseTag('sub/name:x=1').scope, undefined);
    assert.equal(parseTag('a/b/c').scope, undefined);
    assert.equal(parseTag('/b').scope, undefined);
    assert.equal(parseTag('a/').scope, undefined);
    assert.equal(parseTag('plain').scope, undefined);
  });
});

describe('selectModels: madengine vectors (compat §1.3)', () => {
  const corpus = catalogue(
    entry({ name: 'other', tags: ['inference'], args: '' }),
    entry({ name: 'MAD-private/a', tags: ['inference'], args: '' }, 'static'),
    entry({ name: 'MAD-private/b', tags: ['training'], args: '' }, 'static'),
    entry({ name: 'MAD-private/foo', tags: ['training'], args: '--base 1' }, 'static'),
  );

  it('scoped tag filters by tag within the scope', () => {
    assert.deepEqual(names(selectModels(corpus, ['MAD-private/inference'])), ['MAD-private/a']);
  });
  it('scope/all selects every model of the scope', () => {
    assert.deepEqual(names(selectModels(corpus, ['MAD-private/all'])), ['MAD-private/a', 'MAD-private/b', 'MAD-private/foo']);
  });
  it('scope/name selects the exact model', () => {
    assert.deepEqual(names(selectModels(corpus, ['MAD-private/b'])), ['MAD-private/b']);
  });
  it('scope/unknown is an error naming the tag', () => {
    assert.throws(
      () => selectModels(corpus, ['MAD-private/unknown']),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.exitCode, 4, 'a tag that selects nothing is an invalid argument (issue 9 item 17)');
        assert.match(error.message, /MAD-private\/unknown/);
        return true;
      },
    );
  });
  it('an unscoped tag matches root and scoped models carrying it', () => {
    assert.deepEqual(names(selectModels(corpus, ['inference'])), ['other', 'MAD-private/a']);
  });
  it('all selects every model', () => {
    assert.deepEqual(names(selectModels(corpus, ['all'])), names(corpus.models));
  });
  it('a bare name does not match a scoped model of that name', () => {
    const hub = catalogue(entry({ name: 'MAD/pyt_foo', tags: [] }, 'static'));
    assert.throws(() => selectModels(hub, ['pyt_foo']), ConfigError);
  });
  it('name:k=v is unscoped, selects the model and appends the arguments', () => {
    const [selected, ...rest] = selectModels(corpus, ['MAD-private/foo:batch-size=32']);
    assert.equal(rest.length, 0);
    assert.equal(selected?.model.name, 'MAD-private/foo');
    assert.equal(selected?.model.args, '--base 1 --batch-size 32');
  });
  it('tag:k=v selects by tag and appends the arguments to each model', () => {
    const selected = selectModels(corpus, ['inference:batch-size=32']);
    assert.deepEqual(
      selected.map((item) => item.model.args),
      [' --batch-size 32', ' --batch-size 32'],
    );
  });
  it('scope matching requires the scope prefix with a slash', () => {
    const hub = catalogue(entry({ name: 'subx/a', tags: ['t'] }, 'static'), entry({ name: 'sub/a', tags: ['t'] }, 'static'));
    assert.deepEqual(names(selectModels(hub, ['sub/t'])), ['sub/a']);
  });
});

describe('selectModels: order, copies and de-duplication', () => {
  it('returns [] for an empty tag list', () => {
    assert.deepEqual(selectModels(catalogue(entry({ name: 'a' })), []), []);
  });
  it('keeps tag order, and per tag static models before dynamic ones', () => {
    const hub = catalogue(
      entry({ name: 'd/dyn', tags: ['t'] }, 'dynamic'),
      entry({ name: 'root1', tags: ['t'] }),
      entry({ name: 's/static', tags: ['t', 'u'] }, 'static'),
      entry({ name: 'root2', tags: ['u'] }),
    );
    assert.deepEqual(names(selectModels(hub, ['u', 't'])), ['s/static', 'root2', 'root1', 'd/dyn']);
  });
  it('keeps a model selected by several tags once, at its first position', () => {
    const hub = catalogue(entry({ name: 'a', tags: ['x', 'y'] }), entry({ name: 'b', tags: ['y'] }), entry({ name: 'c', tags: ['x'] }));
    assert.deepEqual(names(selectModels(hub, ['b', 'x', 'y', 'all', 'a'])), ['b', 'a', 'c']);
  });
  it('keeps a model selected twice with the same arguments once', () => {
    const hub = catalogue(entry({ name: 'a', tags: ['x'] }));
    const selected = selectModels(hub, ['a:k=1', 'x:k=1']);
    assert.deepEqual(names(selected), ['a']);
    assert.equal(selected[0]?.model.args, ' --k 1');
  });
  it('refuses a model selected twice with different arguments, naming both tags', () => {
    const hub = catalogue(entry({ name: 'a', tags: ['x'] }));
    assert.throws(
      () => selectModels(hub, ['x', 'a:k=1']),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /'a'/);
        assert.match(error.message, /tag 'x'/);
        assert.match(error.message, /tag 'a:k=1'/);
        return true;
      },
    );
  });
  it('returns copies: the catalogue is never changed', () => {
    const hub = catalogue(entry({ name: 'a', args: '--base', tags: ['x'], env_vars: { A: '1' } }));
    const [selected] = selectModels(hub, ['a:k=v']);
    assert.ok(selected);
    assert.equal(selected.model.args, '--base --k v');
    selected.model.tags.push('mutated');
    (selected.model.env_vars as Record<string, string>).A = 'changed';
    assert.equal(hub.models[0]?.model.args, '--base');
    assert.deepEqual(hub.models[0]?.model.tags, ['x']);
    assert.deepEqual(hub.models[0]?.model.env_vars, { A: '1' });
    assert.deepEqual(selected.origin, hub.models[0]?.origin);
  });
  it('matches tags given as madengine comma strings in models.json', () => {
    const hub = catalogue(entry({ name: 'a', tags: 'x, y' }));
    assert.deepEqual(names(selectModels(hub, ['y'])), ['a']);
  });
});

describe('selectModels: tags that match nothing', () => {
  const hub = catalogue(entry({ name: 'dummy', tags: ['dummies'] }), entry({ name: 'dummy2/model1', tags: ['dummies'] }, 'static'));

  it('one error names every unmatched tag, with suggestions', () => {
    assert.throws(
      () => selectModels(hub, ['dummies', 'dumy', 'nothing_like_it', 'dummy2/modle1', 'dummmies:bs=2']),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.exitCode, 4); // invalid arguments, as errors.ts documents (issue 9 item 17)
        assert.match(error.message, /'dumy' \(did you mean 'dummy'\?\)/);
        assert.match(error.message, /'nothing_like_it'(?! \(did)/);
        assert.match(error.message, /'dummy2\/modle1' \(did you mean 'dummy2\/model1'\?\)/);
        assert.match(error.message, /'dummmies:bs=2' \(did you mean 'dummies'\?\)/);
        assert.match(error.message, /^No models found for the tags 'dumy' /); // 'dummies' matched, so it is not listed
        return true;
      },
    );
  });
  it('a tag with no selector (":x") matches nothing', () => {
    assert.throws(() => selectModels(hub, [':x']), /':x'/);
  });
});
