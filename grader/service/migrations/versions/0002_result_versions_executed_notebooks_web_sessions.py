"""result versions, executed notebooks, each test's verdict as a row, web sessions

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 08:44:51.980967
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('web_sessions',
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('token_sha256')
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_sessions_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('results', schema=None) as batch_op:
        # rows graded before this revision are version 1; their exercise scores are filled in below
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('exercise_scores', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('executed_path', sa.Text(), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_results_submission'), type_='unique')
        batch_op.create_unique_constraint('uq_results_submission_version', ['submission_id', 'version'])

    op.create_table('result_tests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('result_id', sa.Integer(), nullable=False),
    sa.Column('exercise', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['result_id'], ['results.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('result_tests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_result_tests_result_id'), ['result_id'], unique=False)

    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('result_version', sa.Integer(), nullable=False, server_default='0'))
    op.execute("UPDATE submissions SET result_version = 1 "
               "WHERE id IN (SELECT submission_id FROM results)")
    _fill_from_payloads()



def _fill_from_payloads() -> None:
    """Results graded before this revision: their exercise scores and test rows, from the stored payload."""
    connection = op.get_bind()
    results = sa.table('results', sa.column('id', sa.Integer()), sa.column('payload', sa.JSON()),
                       sa.column('exercise_scores', sa.JSON()))
    tests = sa.table('result_tests', sa.column('result_id', sa.Integer()), sa.column('exercise', sa.String()),
                     sa.column('name', sa.String()), sa.column('hidden', sa.Boolean()),
                     sa.column('passed', sa.Boolean()), sa.column('message', sa.Text()))
    for row in connection.execute(sa.select(results.c.id, results.c.payload)).all():
        exercises = (row.payload or {}).get('exercises', [])
        scores = {e['id']: e['score'] for e in exercises}
        connection.execute(results.update().where(results.c.id == row.id).values(exercise_scores=scores))
        verdicts = [{'result_id': row.id, 'exercise': e['id'], 'name': t['name'][:200], 'hidden': t['hidden'],
                     'passed': t['passed'], 'message': t['message'][:300]}
                    for e in exercises for t in e.get('tests', [])]
        if verdicts:
            connection.execute(tests.insert(), verdicts)


def downgrade() -> None:
    with op.batch_alter_table('result_tests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_result_tests_result_id'))

    op.drop_table('result_tests')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_column('result_version')

    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.drop_constraint('uq_results_submission_version', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_results_submission'), ['submission_id'])
        batch_op.drop_column('executed_path')
        batch_op.drop_column('exercise_scores')
        batch_op.drop_column('version')

    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_sessions_user_id'))

    op.drop_table('web_sessions')
